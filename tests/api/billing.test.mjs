// Billing end to end, the subscription routes (SPEC §5, §8, §12.1, §15.2 P1) against a local
// stand-in for Stripe's API (tests/support/stripe_stub.mjs): without configuration, the
// Subscription object, checkout (customer once, trials, 409, Stripe failing or timing out) and
// portal, the cancellation before an account deletion, the compatibility route and the FREE
// contact limit. The webhook's own rules are in billing-webhook.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/server.mjs';
import { assertError, show } from '../support/accounts.mjs';
import {
	Billing, event, FREE_LIMIT, PRICE, signatureHeader, startBillingServer, unixNow,
} from '../support/billing.mjs';

const SUB_KEYS = [
	'plan', 'status', 'priceId', 'currentPeriodStart', 'currentPeriodEnd', 'cancelAtPeriodEnd', 'trialEnd', 'trialAvailable',
	'paymentFailedAt', 'billingConfigured', 'limits', 'features',
].sort();
const FRONTEND = 'http://app.crm.test/ui';
const iso = (s) => new Date(s * 1000).toISOString();

describe('billing without Stripe configuration', () => {
	let ctx;
	let b;
	before(async () => {
		ctx = await startBillingServer({ billing: false });
		b = new Billing(ctx);
	});
	after(async () => ctx?.stop());

	test('GET /subscription works (billingConfigured false); checkout, portal, P1 and the webhook answer 503', async () => {
		const u = await b.user();
		const s = await b.subscription(u);
		assert.equal(s.billingConfigured, false);
		assert.equal(s.plan, 'FREE');
		assert.equal(s.status, 'none');
		for (const [p, opts] of [['/subscription/checkout', { body: { trial: true } }], ['/subscription/portal', {}]]) {
			const r = await ctx.api.post(p, { token: u.access, ...opts });
			assertError(r, 503, 'service_unavailable');
			assert.equal(r.json.message, 'Billing is not configured on this server.');
		}
		const p1 = await ctx.api.post('/subscription/create-checkout-session?trial=true', { token: u.access });
		assertError(p1, 503, 'service_unavailable', { compat: true });
		const payload = JSON.stringify(event('customer.subscription.updated', { id: 'sub_x', customer: 'cus_x' }));
		const wh = await ctx.api.post('/stripe/webhook', { body: payload, headers: { 'Stripe-Signature': signatureHeader(payload, 'whsec_x') } });
		assertError(wh, 503, 'service_unavailable');
		assert.equal(ctx.stub.requests.length, 0, 'nothing reached Stripe');
		assert.equal((await ctx.api.get('/me', { token: u.access })).status, 200, 'everything else works');
	});
});

describe('billing', () => {
	let ctx;
	let b;
	let api;
	let stub;
	before(async () => {
		ctx = await startBillingServer();
		b = new Billing(ctx);
		api = ctx.api;
		stub = ctx.stub;
	});
	after(async () => ctx?.stop());

	test('GET /subscription is the Subscription object of §12.1', async () => {
		const u = await b.user();
		const r = await api.get('/subscription', { token: u.access });
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(Object.keys(r.json.data).sort(), SUB_KEYS);
		assert.deepEqual(r.json.data, {
			plan: 'FREE', status: 'none', priceId: null, currentPeriodStart: null, currentPeriodEnd: null, cancelAtPeriodEnd: false,
			trialEnd: null, trialAvailable: true, paymentFailedAt: null, billingConfigured: true,
			limits: { contacts: FREE_LIMIT, contactsUsed: 0, requestsPerWindow: 100000, windowSeconds: 900 },
			features: { interactionsTrend: false, tagInsights: false },
		});
		assert.equal((await api.get('/subscription')).status, 401);
	});

	test('checkout creates the Stripe customer once and reuses it; the calls carry key, version and idempotency keys', async () => {
		const u = await b.user();
		const before = stub.requests.length;
		const r = await b.checkout(u);
		assert.equal(r.status, 200, show(r));
		const made = stub.requests.slice(before);
		assert.deepEqual(made.map((x) => `${x.method} ${x.path}`), ['POST /v1/customers', 'POST /v1/checkout/sessions']);
		for (const x of made) {
			assert.equal(x.headers.authorization, `Bearer ${ctx.key}`);
			assert.equal(x.headers['stripe-version'], '2023-10-16');
			assert.match(x.headers['content-type'], /^application\/x-www-form-urlencoded/);
			assert.ok(x.headers['idempotency-key'], 'every POST has an Idempotency-Key');
		}
		const [cust, sess] = made;
		assert.equal(cust.headers['idempotency-key'], `customer-${u.id}`);
		assert.deepEqual(cust.form, { email: u.ident.email, name: 'Ann Lee', 'metadata[userId]': String(u.id) });
		const customer = b.customerOf(u);
		assert.deepEqual(sess.form, {
			mode: 'subscription', customer, client_reference_id: String(u.id), 'line_items[0][price]': PRICE,
			'line_items[0][quantity]': '1', success_url: `${FRONTEND}/subscription/success?session_id={CHECKOUT_SESSION_ID}`,
			cancel_url: `${FRONTEND}/subscription/cancel`, 'metadata[userId]': String(u.id), 'subscription_data[metadata][userId]': String(u.id),
		});
		assert.deepEqual(Object.keys(r.json.data).sort(), ['sessionId', 'trialDays', 'url']);
		assert.match(r.json.data.sessionId, /^cs_/);
		assert.equal(r.json.data.url, `https://checkout.stripe.com/c/pay/${r.json.data.sessionId}`);
		assert.equal(r.json.data.trialDays, 0);
		// The second checkout reuses the stored customer.
		const mark = stub.requests.length;
		const r2 = await b.checkout(u, { trial: false });
		assert.equal(r2.status, 200, show(r2));
		const again = stub.requests.slice(mark);
		assert.deepEqual(again.map((x) => `${x.method} ${x.path}`), ['POST /v1/checkout/sessions']);
		assert.equal(again[0].form.customer, customer);
		assert.notEqual(again[0].headers['idempotency-key'], sess.headers['idempotency-key'], 'a new session, a new key');
		assert.notEqual(r2.json.data.sessionId, r.json.data.sessionId);
		// No plan change happens at checkout.
		const s = await b.subscription(u);
		assert.equal(s.status, 'none');
		assert.equal(s.plan, 'FREE');
	});

	test('checkout validates its body', async () => {
		const u = await b.user();
		const r = await b.checkout(u, { trial: 'yes', extra: 1 });
		assertError(r, 400, 'validation_failed');
		assert.deepEqual(r.json.details.map((d) => `${d.field}:${d.reason}`).sort(), ['extra:unknown_field', 'trial:wrong_type']);
	});

	test('trial days are added only when asked for, and never twice', async () => {
		const u = await b.user();
		const plain = await b.checkout(u, { trial: false });
		assert.equal(plain.json.data.trialDays, 0);
		assert.equal(stub.calls('POST', '/v1/checkout/sessions').at(-1).form['subscription_data[trial_period_days]'], undefined);
		const withTrial = await b.checkout(u, { trial: true });
		assert.equal(withTrial.status, 200, show(withTrial));
		assert.equal(withTrial.json.data.trialDays, 10);
		assert.equal(stub.calls('POST', '/v1/checkout/sessions').at(-1).form['subscription_data[trial_period_days]'], '10');
		// Stripe reports the trialing subscription: PREMIUM, and the trial is used.
		const trialEnd = unixNow() + 10 * 86400;
		const sub = await b.subscribe(u, { status: 'trialing', trialEnd, periodEnd: trialEnd });
		let s = await b.subscription(u);
		assert.equal(s.status, 'trialing');
		assert.equal(s.plan, 'PREMIUM');
		assert.equal(s.trialEnd, iso(trialEnd));
		assert.equal(s.trialAvailable, false);
		// The trial is cancelled; a new checkout asking for a trial gets none.
		await b.update(sub, { status: 'canceled', trialEnd, periodEnd: trialEnd }, 'customer.subscription.deleted');
		s = await b.subscription(u);
		assert.equal(s.plan, 'FREE');
		assert.equal(s.trialAvailable, false);
		const again = await b.checkout(u, { trial: true });
		assert.equal(again.status, 200, show(again));
		assert.equal(again.json.data.trialDays, 0);
		assert.equal(stub.calls('POST', '/v1/checkout/sessions').at(-1).form['subscription_data[trial_period_days]'], undefined);
	});

	test('checkout answers 409 while the subscription is active, trialing, past_due, unpaid or paused', async () => {
		const u = await b.user();
		let sub = await b.subscribe(u, { status: 'active' });
		for (const status of ['active', 'trialing', 'past_due', 'unpaid', 'paused']) {
			sub = await b.update(sub, { status });
			const n = stub.calls('POST', '/v1/checkout/sessions').length;
			const r = await b.checkout(u, { trial: true });
			assertError(r, 409, 'conflict');
			assert.equal(stub.calls('POST', '/v1/checkout/sessions').length, n, `${status}: no session created`);
		}
		await b.update(sub, { status: 'canceled' });
		assert.equal((await b.checkout(u)).status, 200, 'a cancelled subscription can be replaced');
	});

	test('portal: 409 without a customer, then a session returning to the billing settings', async () => {
		const u = await b.user();
		const r = await api.post('/subscription/portal', { token: u.access });
		assertError(r, 409, 'conflict');
		const customer = await b.customer(u);
		const ok = await api.post('/subscription/portal', { token: u.access, body: {} });
		assert.equal(ok.status, 200, show(ok));
		assert.deepEqual(Object.keys(ok.json.data), ['url']);
		assert.match(ok.json.data.url, /^https:\/\/billing\.stripe\.com\//);
		const call = stub.calls('POST', '/v1/billing_portal/sessions').at(-1);
		assert.deepEqual(call.form, { customer, return_url: `${FRONTEND}/settings/billing` });
		assert.ok(call.headers['idempotency-key']);
		assertError(await api.post('/subscription/portal', { token: u.access, body: { x: 1 } }), 400, 'validation_failed');
	});

	test('Stripe answering 500 during checkout is a clean 502 and stores nothing', async () => {
		const u = await b.user();
		stub.failNext('POST', '/v1/customers', { status: 500 });
		const r = await b.checkout(u);
		assertError(r, 502, 'upstream_error');
		assert.ok(!/stub|went wrong/i.test(r.text), 'Stripe\'s message is not returned');
		await ctx.srv.waitForLog((l) => l.msg === 'stripe call failed' && l.op === 'customers.create' && l.httpStatus === '500' && /went wrong/.test(l.stripeMessage));
		assert.ok(!ctx.srv.stdout().includes(ctx.key), 'the secret key is never logged');
		assertError(await api.post('/subscription/portal', { token: u.access }), 409, 'conflict');
		// The retry creates the customer (same idempotency key) and the session.
		const ok = await b.checkout(u);
		assert.equal(ok.status, 200, show(ok));
		// The session failing leaves the stored customer in place and answers 502.
		stub.failNext('POST', '/v1/checkout/sessions', { status: 503 });
		assertError(await b.checkout(u), 502, 'upstream_error');
		assert.equal((await api.post('/subscription/portal', { token: u.access })).status, 200);
	});

	test('Stripe timing out during checkout is a 502 after the 10 s limit', async () => {
		const u = await b.user();
		await b.customer(u);
		stub.failNext('POST', '/v1/checkout/sessions', { timeout: true });
		const t0 = Date.now();
		const r = await request(`${ctx.srv.url}/api/v1/subscription/checkout`, {
			method: 'POST', headers: { Authorization: `Bearer ${u.access}` }, timeoutMs: 30000,
		});
		const took = Date.now() - t0;
		assert.equal(r.status, 502, r.text);
		assert.equal(r.json.code, 'upstream_error');
		assert.ok(took >= 9000 && took < 20000, `answered after ${took} ms`);
	});

	test('DELETE /me cancels an active subscription at Stripe first; Stripe failing is a 502 and the account remains', async () => {
		const u = await b.user();
		const sub = await b.subscribe(u, { status: 'active' });
		stub.failNext('DELETE', `/v1/subscriptions/${sub.id}`, { status: 500 });
		const r = await api.delete('/me', { token: u.access, body: { password: u.ident.password } });
		assertError(r, 502, 'upstream_error');
		assert.equal((await api.get('/me', { token: u.access })).status, 200, 'the account remains');
		assert.equal(stub.getSubscription(sub.id).status, 'active');
		const ok = await api.delete('/me', { token: u.access, body: { password: u.ident.password } });
		assert.equal(ok.status, 204, show(ok));
		assert.equal(stub.getSubscription(sub.id).status, 'canceled', 'cancelled at Stripe');
		assert.equal(stub.calls('DELETE', `/v1/subscriptions/${sub.id}`).length, 2);
		assert.equal((await api.get('/me', { token: u.access })).status, 401);
		// Stripe's customer.subscription.deleted that follows finds no customer: ignored.
		await b.deliver(event('customer.subscription.deleted', stub.getSubscription(sub.id)));
		// A cancelled subscription needs no call.
		const v = await b.user();
		const vs = await b.subscribe(v, { status: 'canceled' });
		assert.equal((await api.delete('/me', { token: v.access, body: { password: v.ident.password } })).status, 204);
		assert.equal(stub.calls('DELETE', `/v1/subscriptions/${vs.id}`).length, 0);
	});

	test('compatibility P1: create-checkout-session?trial= answers {url, sessionId, status}', async () => {
		const u = await b.user();
		const r = await api.post('/subscription/create-checkout-session?trial=true', { token: u.access });
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(Object.keys(r.json).sort(), ['sessionId', 'status', 'url']);
		assert.equal(r.json.status, 200);
		assert.match(r.json.sessionId, /^cs_/);
		assert.equal(stub.calls('POST', '/v1/checkout/sessions').at(-1).form['subscription_data[trial_period_days]'], '10');
		const loose = await api.post('/Subscription/Create-Checkout-Session/?trial=false', { token: u.access });
		assert.equal(loose.status, 200, show(loose));
		assert.equal(stub.calls('POST', '/v1/checkout/sessions').at(-1).form['subscription_data[trial_period_days]'], undefined);
		const bad = await api.post('/subscription/create-checkout-session?trial=yes', { token: u.access });
		assertError(bad, 400, 'validation_failed', { compat: true });
		assert.deepEqual(bad.json.details, [{ field: 'trial', reason: 'invalid_value' }]);
		assertError(await api.post('/subscription/create-checkout-session'), 401, 'unauthenticated', { compat: true });
	});

	test('FREE contact limit: 402 plan_limit_reached at the cap; PREMIUM lifts it; downgrade keeps the data', async () => {
		const u = await b.user();
		for (let i = 0; i < FREE_LIMIT; i++) {
			const c = await api.post('/contacts', { token: u.access, body: { firstName: `C${i}` } });
			assert.equal(c.status, 201, show(c));
		}
		assert.equal((await b.subscription(u)).limits.contactsUsed, FREE_LIMIT);
		assertError(await api.post('/contacts', { token: u.access, body: { firstName: 'Over' } }), 402, 'plan_limit_reached');
		const sub = await b.subscribe(u, { status: 'active' });
		assert.equal((await api.post('/contacts', { token: u.access, body: { firstName: 'Premium' } })).status, 201);
		await b.update(sub, { status: 'canceled' }, 'customer.subscription.deleted');
		assertError(await api.post('/contacts', { token: u.access, body: { firstName: 'Again' } }), 402, 'plan_limit_reached');
		const list = await api.get('/contacts?includeTotal=true', { token: u.access });
		assert.equal(list.status, 200, show(list));
		assert.equal(list.json.page.total, FREE_LIMIT + 1, 'existing data is kept');
		assert.equal((await b.subscription(u)).limits.contactsUsed, FREE_LIMIT + 1);
	});

});

// Billing end to end, the Stripe webhook (SPEC §5, §12.2, §13.3, §14) with events signed by
// Stripe's official library (stripe npm, pinned) and the subscriptions retrieved from a local
// stand-in for Stripe's API: signatures, idempotency, out-of-order events, the tracked
// subscription, mapping through stored customers, retrieval failures, the plan over time, the
// billing mails and the metrics.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/server.mjs';
import { assertError, show } from '../support/accounts.mjs';
import {
	Billing, event, newSubId, PREMIUM_RPW, PRICE, signatureHeader, startBillingServer, subscription, unixNow,
} from '../support/billing.mjs';

const FRONTEND = 'http://app.crm.test/ui';
const iso = (s) => new Date(s * 1000).toISOString();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const utcDate = (s) => new Date(s * 1000).toLocaleDateString('en-US', { timeZone: 'UTC', month: 'long', day: 'numeric', year: 'numeric' });

describe('billing: the Stripe webhook', () => {
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

	test('webhook: missing, malformed, wrong, expired or future signatures and a signature over another body are 400 and change nothing', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer }));
		const ev = event('customer.subscription.created', sub);
		const payload = JSON.stringify(ev);
		const other = JSON.stringify({ ...ev, id: `${ev.id}_other` });
		const gets = stub.calls('GET', '/v1/subscriptions').length;
		const bad = {
			missing: { header: null },
			malformed: { header: 'garbage' },
			'no v1': { header: `t=${unixNow()}` },
			'wrong secret': { secret: 'whsec_wrong' },
			'301 s old': { timestamp: unixNow() - 301 },
			'1 h in the future': { timestamp: unixNow() + 3600 },
			'another body': { header: signatureHeader(other, ctx.secret) },
		};
		for (const [name, opts] of Object.entries(bad)) {
			const r = await b.send(payload, opts);
			assert.equal(r.status, 400, `${name}: ${show(r)}`);
			assert.equal(r.json.code, 'invalid_signature', name);
		}
		assert.equal(stub.calls('GET', '/v1/subscriptions').length, gets, 'nothing was retrieved');
		assert.equal((await b.subscription(u)).status, 'none', 'nothing changed');
		await ctx.srv.waitForLog((l) => l.msg === 'security event' && l.event === 'stripe.signature_failed');
		assert.ok(!ctx.srv.stdout().includes(ctx.secret), 'the secret is never logged');
		// The same event, correctly signed (and 299 s old), applies.
		await b.deliver(payload, { timestamp: unixNow() - 290 });
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('webhook: any of several v1 signatures, any Content-Type, no CSRF check, no rate limit', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer }));
		const payload = JSON.stringify(event('customer.subscription.created', sub));
		const t = unixNow();
		const good = signatureHeader(payload, ctx.secret, t).split('v1=')[1];
		const header = `t=${t},v1=${'0'.repeat(64)},v0=abc,v1=${good}`;
		const r = await b.send(payload, {
			header, headers: { 'Content-Type': 'text/plain', Origin: 'http://evil.example', Cookie: `accessToken=${u.access}` },
		});
		assert.equal(r.status, 200, show(r));
		assert.equal(r.text, '{"received":true}');
		assert.equal(r.headers['ratelimit-limit'], undefined, 'exempt from rate limits');
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('the same event twice applies once', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer, status: 'active' }));
		const ev = event('customer.subscription.updated', sub);
		await b.deliver(ev);
		assert.equal((await b.subscription(u)).status, 'active');
		stub.setSubscription({ ...sub, status: 'canceled' });
		const gets = stub.calls('GET', '/v1/subscriptions').length;
		await b.deliver(ev); // the same id: no retrieval, no change
		assert.equal(stub.calls('GET', '/v1/subscriptions').length, gets);
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('events out of order cannot regress the state: the retrieved subscription is stored, never the payload', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const id = newSubId();
		const created = subscription({ id, customer, status: 'active' });
		const canceled = stub.setSubscription(subscription({ id, customer, status: 'canceled', created: created.created }));
		// Stripe's current state is canceled; the events arrive newest first.
		await b.deliver(event('customer.subscription.deleted', canceled));
		await b.deliver(event('customer.subscription.updated', { ...created, status: 'past_due' }));
		await b.deliver(event('customer.subscription.created', created));
		const s = await b.subscription(u);
		assert.equal(s.status, 'canceled');
		assert.equal(s.plan, 'FREE');
		assert.equal(s.priceId, PRICE);
	});

	test('the tracked subscription: an older one cannot replace it, a newer one can', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const now = unixNow();
		const current = stub.setSubscription(subscription({ id: newSubId(), customer, status: 'active', created: now - 100 }));
		await b.deliver(event('customer.subscription.created', current));
		const older = stub.setSubscription(subscription({ id: newSubId(), customer, status: 'incomplete_expired', created: now - 1000 }));
		await b.deliver(event('customer.subscription.updated', older));
		assert.equal((await b.subscription(u)).status, 'active', 'an older subscription is ignored');
		const newer = stub.setSubscription(subscription({ id: newSubId(), customer, status: 'trialing', created: now - 10, trialEnd: now + 86400 }));
		await b.deliver(event('customer.subscription.created', newer));
		const s = await b.subscription(u);
		assert.equal(s.status, 'trialing', 'a newer one becomes the tracked one');
	});

	test('unknown customers, foreign client_reference_id and unhandled types are acknowledged and ignored', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const gets = stub.calls('GET', '/v1/subscriptions').length;
		const stranger = stub.setSubscription(subscription({ id: newSubId(), customer: 'cus_unknown_to_crm' }));
		await b.deliver(event('customer.subscription.created', stranger));
		await b.deliver(event('invoice.created', { id: 'in_x', object: 'invoice', customer }));
		await b.deliver(event('customer.subscription.updated', { id: newSubId(), object: 'subscription' })); // no customer
		assert.equal(stub.calls('GET', '/v1/subscriptions').length, gets, 'nothing was retrieved');
		// checkout.session.completed must name the customer's own user.
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer }));
		const session = { id: 'cs_test_x', object: 'checkout.session', mode: 'subscription', customer, subscription: sub.id };
		await b.deliver(event('checkout.session.completed', { ...session, client_reference_id: String(u.id + 1000) }));
		await ctx.srv.waitForLog((l) => l.msg === 'security event' && l.event === 'stripe.mismatch' && l.userId === String(u.id));
		assert.equal((await b.subscription(u)).status, 'none');
		await b.deliver(event('checkout.session.completed', { ...session, mode: 'payment', client_reference_id: String(u.id) }));
		assert.equal((await b.subscription(u)).status, 'none', 'payment-mode sessions are not handled');
		await b.deliver(event('checkout.session.completed', { ...session, client_reference_id: String(u.id) }));
		assert.equal((await b.subscription(u)).status, 'active');
		// A retrieved subscription of another customer is a mismatch too.
		const foreign = stub.setSubscription(subscription({ id: newSubId(), customer: 'cus_someone_else', created: unixNow() + 5 }));
		await b.deliver(event('customer.subscription.updated', { ...foreign, customer }));
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('retrieval failing answers 503 and records nothing; the retry applies', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer }));
		const ev = event('customer.subscription.created', sub);
		stub.failNext('GET', '/v1/subscriptions', { status: 500 });
		const r = await b.send(ev);
		assertError(r, 503, 'service_unavailable');
		assert.ok(r.headers['retry-after']);
		assert.equal((await b.subscription(u)).status, 'none', 'nothing changed');
		await b.deliver(ev); // Stripe's retry of the same event
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('retrieval timing out answers 503 after the 10 s limit; the retry applies', async () => {
		const u = await b.user();
		const customer = await b.customer(u);
		const sub = stub.setSubscription(subscription({ id: newSubId(), customer }));
		const payload = JSON.stringify(event('customer.subscription.created', sub));
		stub.failNext('GET', '/v1/subscriptions', { timeout: true });
		const r = await request(`${ctx.srv.url}/api/v1/stripe/webhook`, {
			method: 'POST', body: payload, timeoutMs: 30000,
			headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signatureHeader(payload, ctx.secret) },
		});
		assert.equal(r.status, 503, r.text);
		assert.equal((await b.subscription(u)).status, 'none');
		await b.deliver(payload);
		assert.equal((await b.subscription(u)).status, 'active');
	});

	test('the plan: PREMIUM while active or trialing within the period, FREE after it ends or is cancelled', async () => {
		const u = await b.user();
		const start = unixNow() - 100;
		const end = unixNow() + 30 * 86400;
		let sub = await b.subscribe(u, { status: 'active', periodStart: start, periodEnd: end, cancelAtPeriodEnd: true });
		let s = await b.subscription(u);
		assert.deepEqual(
			{ plan: s.plan, status: s.status, priceId: s.priceId, currentPeriodStart: s.currentPeriodStart, currentPeriodEnd: s.currentPeriodEnd, cancelAtPeriodEnd: s.cancelAtPeriodEnd },
			{ plan: 'PREMIUM', status: 'active', priceId: PRICE, currentPeriodStart: iso(start), currentPeriodEnd: iso(end), cancelAtPeriodEnd: true },
		);
		assert.deepEqual(s.limits, { contacts: 100000, contactsUsed: 0, requestsPerWindow: PREMIUM_RPW, windowSeconds: 900 });
		assert.deepEqual(s.features, { interactionsTrend: true, tagInsights: true });
		assert.equal(await b.plan(u), 'PREMIUM');
		// Newer API versions carry the period on the subscription item only.
		sub = await b.update(sub, { status: 'active', periodStart: start, periodEnd: end + 60, shape: 'basil' });
		assert.equal((await b.subscription(u)).currentPeriodEnd, iso(end + 60));
		// A period in the past is FREE without any further event.
		sub = await b.update(sub, { status: 'active', periodStart: start - 86400, periodEnd: unixNow() - 5 });
		assert.equal(await b.plan(u), 'FREE');
		sub = await b.update(sub, { status: 'active', periodEnd: end });
		assert.equal(await b.plan(u), 'PREMIUM');
		await b.update(sub, { status: 'canceled', periodEnd: end }, 'customer.subscription.deleted');
		s = await b.subscription(u);
		assert.equal(s.plan, 'FREE');
		assert.equal(s.status, 'canceled');
		assert.equal(await b.plan(u), 'FREE');
		await ctx.srv.waitForLog((l) => l.msg === 'security event' && l.event === 'billing.plan_changed' && l.userId === String(u.id));
	});

	test('past_due keeps PREMIUM for the grace period after a failed payment; invoice.paid clears it; one mail per invoice', async () => {
		const u = await b.user();
		let sub = await b.subscribe(u, { status: 'active' });
		sub = stub.setSubscription({ ...sub, status: 'past_due' });
		// past_due without a recorded failure: no grace.
		await b.deliver(event('customer.subscription.updated', sub));
		assert.equal(await b.plan(u), 'FREE');
		const invoice = { id: `in_${newSubId()}`, object: 'invoice', customer: sub.customer, parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } } };
		const t0 = Date.now();
		await b.deliver(event('invoice.payment_failed', invoice));
		let s = await b.subscription(u);
		assert.equal(s.status, 'past_due');
		assert.equal(s.plan, 'PREMIUM');
		assert.ok(s.paymentFailedAt && Date.parse(s.paymentFailedAt) >= t0 - 1000, `paymentFailedAt ${s.paymentFailedAt}`);
		const first = s.paymentFailedAt;
		await ctx.flows.waitMail(u.ident.email, 'Payment for your Premium subscription failed');
		// Stripe retries the payment and fails again on the same invoice: no new mail, same time.
		await b.deliver(event('invoice.payment_failed', { ...invoice, subscription: sub.id, parent: null }));
		await sleep(600);
		assert.equal(ctx.flows.mails(u.ident.email, 'Payment for your Premium subscription failed').length, 1);
		assert.equal((await b.subscription(u)).paymentFailedAt, first);
		const mail = ctx.flows.mails(u.ident.email, 'Payment for your Premium subscription failed')[0].decoded;
		assert.ok(mail.text.includes(`${FRONTEND}/settings/billing`), mail.text);
		// The payment succeeds.
		stub.setSubscription({ ...sub, status: 'active' });
		await b.deliver(event('invoice.paid', { ...invoice, id: `${invoice.id}_2` }));
		s = await b.subscription(u);
		assert.equal(s.paymentFailedAt, null);
		assert.equal(s.status, 'active');
		assert.equal(s.plan, 'PREMIUM');
	});

	test('customer.subscription.trial_will_end mails trial_ending once per trial end', async () => {
		const u = await b.user();
		const trialEnd = unixNow() + 3 * 86400;
		const sub = await b.subscribe(u, { status: 'trialing', trialEnd, periodEnd: trialEnd });
		await b.deliver(event('customer.subscription.trial_will_end', sub));
		const subject = `Your Premium trial ends on ${utcDate(trialEnd)}`;
		const m = await ctx.flows.waitMail(u.ident.email, subject);
		assert.ok(m.decoded.text.includes(`${FRONTEND}/settings/billing`));
		await b.deliver(event('customer.subscription.trial_will_end', sub)); // another event, same trial end
		await sleep(600);
		assert.equal(ctx.flows.mails(u.ident.email, subject).length, 1);
	});

	test('crm_stripe_webhook_events_total counts events by type and outcome', async () => {
		const r = await request(`${ctx.srv.url}/api/v1/metrics`);
		assert.equal(r.status, 200);
		const series = (type, outcome) => {
			const m = new RegExp(`^crm_stripe_webhook_events_total\\{type="${type.replace(/\./g, '\\.')}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(r.text);
			return m ? Number(m[1]) : 0;
		};
		assert.match(r.text, /^# TYPE crm_stripe_webhook_events_total counter$/m);
		assert.ok(series('customer.subscription.created', 'applied') >= 1, r.text);
		assert.ok(series('customer.subscription.updated', 'duplicate') >= 1);
		assert.ok(series('unknown', 'rejected') >= 1);
		assert.ok(series('customer.subscription.created', 'unavailable') >= 1);
		assert.ok(series('invoice.created', 'ignored') >= 1);
	});
});

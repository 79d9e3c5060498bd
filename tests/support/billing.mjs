// Helpers for the billing tests (SPEC §5, §12): a crm server wired to the Stripe stub and the
// SMTP capture, Stripe events signed with Stripe's official library (stripe npm,
// webhooks.generateTestHeaderString, pinned in package-lock.json), and the flows the tests
// share: a signed-in user, their Stripe customer (created by a checkout), a subscription made
// known through the webhook.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Stripe from 'stripe';
import { startAccountsServer, show } from './accounts.mjs';
import { startStripeStub, subscription as stubSubscription } from './stripe_stub.mjs';

export const PRICE = 'price_premium_test';
export const FREE_LIMIT = 2;
export const PREMIUM_RPW = 200000;

/** A Stripe subscription object (stripe_stub.mjs's subscription()) for PRICE unless told. */
export const subscription = (fields = {}) => stubSubscription({ price: PRICE, ...fields });

const rand = (n = 8) => crypto.randomBytes(n).toString('hex');
export const unixNow = () => Math.floor(Date.now() / 1000);

/** Stripe's webhook helpers; the client makes no network call unless asked to. */
const stripe = new Stripe('sk_test_unused_by_the_helpers');

/** The Stripe-Signature header Stripe would send for payload (a string) at timestamp (unix s). */
export function signatureHeader(payload, secret, timestamp = unixNow()) {
	return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** A Stripe event envelope around object. */
export function event(type, object, { id = `evt_test_${rand()}`, created = unixNow() } = {}) {
	return {
		id, object: 'event', api_version: '2023-10-16', created, type, livemode: false, pending_webhooks: 1,
		request: { id: null, idempotency_key: null }, data: { object },
	};
}

export const newSubId = () => `sub_test${rand(6)}`;

/**
 * Starts the stub and a configured crm server (env extends/overrides; pass billing: false for a
 * server without Stripe settings). Resolves {srv, smtp, api, flows, stub, secret, key, stop()}.
 */
export async function startBillingServer({ env = {}, billing = true } = {}) {
	const stub = await startStripeStub({ secretKey: `sk_test_${rand()}` });
	const secret = `whsec_${rand(16)}`;
	const stripeEnv = billing
		? { STRIPE_SECRET_KEY: stub.secretKey, STRIPE_WEBHOOK_SECRET: secret, STRIPE_PRICE_ID: PRICE, STRIPE_API_BASE: stub.url }
		: {};
	let ctx;
	try {
		ctx = await startAccountsServer({
			env: { ...stripeEnv, FREE_CONTACT_LIMIT: FREE_LIMIT, RATE_LIMIT_MAX_PREMIUM: PREMIUM_RPW, ...env },
		});
	} catch (e) {
		await stub.stop();
		throw e;
	}
	return {
		...ctx,
		stub,
		secret,
		key: stub.secretKey,
		async stop() {
			try {
				await ctx.stop();
			} finally {
				await stub.stop();
			}
		},
	};
}

/** Shared flows over one billing server. */
export class Billing {
	constructor(ctx) {
		this.ctx = ctx;
		this.api = ctx.api;
		this.stub = ctx.stub;
	}

	/** A verified, signed-in user: {ident, access, me, id}. */
	async user(tag = 'b') {
		const s = await this.ctx.flows.session(tag);
		return { ...s, id: s.me.id };
	}

	async subscription(u) {
		const r = await this.api.get('/subscription', { token: u.access });
		assert.equal(r.status, 200, show(r));
		return r.json.data;
	}

	async plan(u) {
		const r = await this.api.get('/me', { token: u.access });
		assert.equal(r.status, 200, show(r));
		return r.json.data.plan;
	}

	checkout(u, body) {
		return this.api.post('/subscription/checkout', { token: u.access, body });
	}

	/** The Stripe customer the stub created for u, if any. */
	customerOf(u) {
		return [...this.stub.customers.values()].find((c) => c.metadata.userId === String(u.id))?.id;
	}

	/** Runs a checkout so that u has a stored Stripe customer; resolves its id. */
	async customer(u) {
		const r = await this.checkout(u);
		assert.equal(r.status, 200, show(r));
		const c = this.customerOf(u);
		assert.ok(c, 'the stub created a customer');
		return c;
	}

	/** POSTs an event (an object or a raw string) with a signature (header: override it; null: none). */
	async send(ev, { secret = this.ctx.secret, timestamp, header, headers = {}, raw } = {}) {
		const payload = raw ?? (typeof ev === 'string' ? ev : JSON.stringify(ev));
		const h = { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', ...headers };
		const sig = header === undefined ? signatureHeader(payload, secret, timestamp) : header;
		if (sig !== null) h['Stripe-Signature'] = sig;
		return this.api.post('/stripe/webhook', { body: payload, headers: h });
	}

	/** send() that must answer 200 {"received": true}. */
	async deliver(ev, opts) {
		const r = await this.send(ev, opts);
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(r.json, { received: true });
		return r;
	}

	/**
	 * Gives u a subscription known to Stripe (the stub) and to the service (through a
	 * customer.subscription.created event). fields: the subscription() options. Resolves the
	 * stub's subscription object.
	 */
	async subscribe(u, fields = {}) {
		const customer = this.customerOf(u) || (await this.customer(u));
		const sub = this.stub.setSubscription(subscription({ id: newSubId(), customer, ...fields }));
		await this.deliver(event('customer.subscription.created', sub));
		return sub;
	}

	/** Changes the stub's copy of sub and tells the service through an event of type. */
	async update(sub, changes, type = 'customer.subscription.updated') {
		const next = this.stub.setSubscription(subscription({ id: sub.id, customer: sub.customer, created: sub.created, ...changes }));
		await this.deliver(event(type, next));
		return next;
	}
}

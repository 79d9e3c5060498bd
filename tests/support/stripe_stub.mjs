// A stand-in for Stripe's REST API (Stripe cannot be reached from the test machines): a
// node:http server on a free loopback port implementing what the service calls (SPEC §12.1, §8):
//   POST   /v1/customers                 (honours Idempotency-Key like Stripe: same key, same customer)
//   POST   /v1/checkout/sessions
//   POST   /v1/billing_portal/sessions
//   GET    /v1/subscriptions/:id
//   DELETE /v1/subscriptions/:id         (cancels at once: status canceled)
// It checks what Stripe would (Authorization: Bearer <secret key>, form-encoded bodies, known
// customers) plus the service's own contract (Stripe-Version on every call, an Idempotency-Key
// on every POST), answering 400/401 with Stripe's error shape when they are wrong. Every request
// is recorded ({method, path, headers, form, raw}). Subscriptions are objects the test sets with
// setSubscription() (see subscription() for their shape). failNext() makes the next matching
// calls answer 500 or hang (a timeout for the client).
import http from 'node:http';
import { freePort } from './ports.mjs';

export const STRIPE_VERSION = '2023-10-16';

const unixNow = () => Math.floor(Date.now() / 1000);

/**
 * A Stripe subscription object as GET /v1/subscriptions/:id returns it. shape 'classic' puts the
 * period fields on the subscription (API 2023-10-16); 'basil' only on items.data[0] (newer APIs).
 */
export function subscription({
	id, customer, status = 'active', created = unixNow() - 60, periodStart = unixNow() - 60,
	periodEnd = unixNow() + 30 * 86400, trialEnd = null, cancelAtPeriodEnd = false, price = 'price_premium',
	shape = 'classic',
} = {}) {
	const item = {
		id: `si_${id}`, object: 'subscription_item', price: { id: price, object: 'price', recurring: { interval: 'month' } }, quantity: 1,
	};
	const sub = {
		id, object: 'subscription', customer, status, created, cancel_at_period_end: cancelAtPeriodEnd,
		canceled_at: status === 'canceled' ? unixNow() : null, trial_start: trialEnd ? created : null, trial_end: trialEnd,
		items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
		livemode: false, metadata: {},
	};
	if (shape === 'basil') {
		item.current_period_start = periodStart;
		item.current_period_end = periodEnd;
	} else {
		sub.current_period_start = periodStart;
		sub.current_period_end = periodEnd;
	}
	return sub;
}

function stripeError(res, status, message, { type = 'invalid_request_error', code, param } = {}) {
	const body = JSON.stringify({ error: { type, code, param, message } });
	res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': `req_${Math.random().toString(36).slice(2)}` });
	res.end(body);
}

function reply(res, obj) {
	res.writeHead(200, { 'Content-Type': 'application/json', 'Request-Id': `req_${Math.random().toString(36).slice(2)}` });
	res.end(JSON.stringify(obj));
}

/** Starts the stub. Resolves {url, port, requests, calls(method, prefix), customers, setSubscription, getSubscription, failNext, clear, stop}. */
export async function startStripeStub({ secretKey = 'sk_test_stub' } = {}) {
	const requests = [];
	const customers = new Map(); // id -> customer
	const byIdemKey = new Map(); // Idempotency-Key -> customer (for customers.create)
	const subscriptions = new Map();
	const failures = []; // {method, prefix, status, timeout, times}
	const hanging = new Set();
	let seq = 0;

	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			const url = new URL(req.url, 'http://stub');
			const form = Object.fromEntries(new URLSearchParams(raw));
			const rec = { method: req.method, path: url.pathname, query: url.search, headers: req.headers, form, raw, at: Date.now() };
			requests.push(rec);

			const f = failures.find((x) => x.times > 0 && x.method === req.method && url.pathname.startsWith(x.prefix));
			if (f) {
				f.times--;
				if (f.timeout) {
					hanging.add(res); // never answered: the client's timeout fires
					res.on('close', () => hanging.delete(res));
					return;
				}
				return stripeError(res, f.status, 'Something went wrong on our end (stub).', { type: 'api_error' });
			}
			if (req.headers.authorization !== `Bearer ${secretKey}`) {
				return stripeError(res, 401, 'Invalid API Key provided.', { type: 'invalid_request_error' });
			}
			if (req.headers['stripe-version'] !== STRIPE_VERSION) {
				return stripeError(res, 400, `Stripe-Version must be ${STRIPE_VERSION} (stub check).`);
			}
			if (req.method === 'POST') {
				if (!req.headers['idempotency-key']) return stripeError(res, 400, 'Idempotency-Key is required (stub check).');
				if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '')) {
					return stripeError(res, 400, 'Bodies must be form-encoded (stub check).');
				}
			}
			route(req, res, url, form);
		});
	});

	function route(req, res, url, form) {
		const p = url.pathname;
		if (req.method === 'POST' && p === '/v1/customers') {
			const key = req.headers['idempotency-key'];
			if (byIdemKey.has(key)) return reply(res, byIdemKey.get(key));
			const c = { id: `cus_stub${++seq}`, object: 'customer', email: form.email ?? null, name: form.name ?? null, metadata: { userId: form['metadata[userId]'] }, created: unixNow() };
			customers.set(c.id, c);
			byIdemKey.set(key, c);
			return reply(res, c);
		}
		if (req.method === 'POST' && p === '/v1/checkout/sessions') {
			if (!customers.has(form.customer)) return stripeError(res, 400, `No such customer: '${form.customer}'`, { code: 'resource_missing', param: 'customer' });
			for (const k of ['mode', 'line_items[0][price]', 'line_items[0][quantity]', 'success_url', 'cancel_url']) {
				if (!form[k]) return stripeError(res, 400, `Missing required param: ${k}.`, { code: 'parameter_missing', param: k });
			}
			const id = `cs_test_stub${++seq}`;
			return reply(res, {
				id, object: 'checkout.session', mode: form.mode, customer: form.customer, client_reference_id: form.client_reference_id ?? null,
				url: `https://checkout.stripe.com/c/pay/${id}`, success_url: form.success_url, cancel_url: form.cancel_url, status: 'open',
			});
		}
		if (req.method === 'POST' && p === '/v1/billing_portal/sessions') {
			if (!customers.has(form.customer)) return stripeError(res, 400, `No such customer: '${form.customer}'`, { code: 'resource_missing', param: 'customer' });
			const id = `bps_stub${++seq}`;
			return reply(res, { id, object: 'billing_portal.session', customer: form.customer, return_url: form.return_url, url: `https://billing.stripe.com/p/session/test_${id}` });
		}
		const m = /^\/v1\/subscriptions\/([^/]+)$/.exec(p);
		if (m && (req.method === 'GET' || req.method === 'DELETE')) {
			const sub = subscriptions.get(m[1]);
			if (!sub) return stripeError(res, 404, `No such subscription: '${m[1]}'`, { code: 'resource_missing', param: 'id' });
			if (req.method === 'DELETE') {
				sub.status = 'canceled';
				sub.canceled_at = unixNow();
				sub.ended_at = unixNow();
			}
			return reply(res, sub);
		}
		return stripeError(res, 404, `Unrecognized request URL (${req.method}: ${p}).`);
	}

	const port = await freePort();
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		secretKey,
		requests,
		/** Recorded requests with this method whose path starts with prefix. */
		calls: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)),
		customers,
		/** Stores (replaces) a subscription object; later GETs return it. Resolves the object. */
		setSubscription(sub) {
			subscriptions.set(sub.id, sub);
			return sub;
		},
		getSubscription: (id) => subscriptions.get(id),
		/** The next `times` calls of method on paths starting with prefix fail: {status: 500} or {timeout: true}. */
		failNext(method, prefix, { status = 500, timeout = false, times = 1 } = {}) {
			failures.push({ method, prefix, status, timeout, times });
		},
		clearFailures() {
			failures.length = 0;
		},
		async stop() {
			for (const r of hanging) r.destroy();
			server.closeAllConnections?.();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

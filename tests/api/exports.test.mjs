// Black-box tests of the exports (SPEC §8 GET /me/export, §9.6 GET /contacts/export.csv, §15.2
// C12 GET /contacts/export-contacts, §4 export bucket, §13.7): the CSV parsed back with a strict
// RFC 4180 reader equals the contacts created (quotes, commas, line breaks, unicode, null versus
// empty), formula neutralisation, header-only files, CRLF records without BOM, only the caller's
// rows, the compatibility route byte-identical, Accept and HEAD rules, the shared export bucket,
// chunk boundaries (more than 1,000 contacts and relationships), the /me/export document against
// the objects each resource route returns, no secret anywhere, and a paused download that holds
// neither the single polling thread nor the single pooled connection. The store comes from
// CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { STORE, ISO_MS, request, startServer, stopChecked } from '../support/server.mjs';
import { Api, assertError, show } from '../support/accounts.mjs';
import { startContactsServer, newUser } from '../support/contacts.mjs';
import { sql } from '../support/db.mjs';

const HEADER = '"id","firstName","lastName","email","phone","address","company","jobRole","tags"\r\n';
const COLUMNS = ['id', 'firstName', 'lastName', 'email', 'phone', 'address', 'company', 'jobRole', 'tags'];
const CSV_CT = 'text/csv; charset=utf-8';
const JSON_CT = 'application/json; charset=utf-8';
/** startContactsServer's environment (support/contacts.mjs), for a server started by hand. */
const CONTACTS_ENV = {
	REQUIRE_EMAIL_VERIFICATION: 'false',
	RATE_LIMIT_AUTH_MAX: 1000000,
	RATE_LIMIT_ANON_MAX: 1000000,
	RATE_LIMIT_MAX: 1000000,
	RATE_LIMIT_MAX_PREMIUM: 1000000,
	FREE_CONTACT_LIMIT: 100000,
};
const EXPORT_KEYS = ['format', 'version', 'exportedAt', 'user', 'subscription', 'tags', 'contacts', 'notes', 'interactions', 'sessions', 'securityEvents'];

/**
 * A strict RFC 4180 reader: records end with CRLF (also the last), fields are separated by ',',
 * a quoted field may hold anything with '"' doubled, an unquoted one no '"', CR or LF. Every cell
 * is {v, q} (q: it was quoted), so null (empty unquoted) and "" (empty quoted) stay apart.
 */
function parseCsv(text) {
	const records = [];
	let i = 0;
	while (i < text.length) {
		const rec = [];
		for (;;) {
			let v = '';
			let q = false;
			if (text[i] === '"') {
				q = true;
				i++;
				for (;;) {
					assert.ok(i < text.length, `unterminated quoted field at ${i}`);
					if (text[i] === '"') {
						if (text[i + 1] === '"') {
							v += '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					v += text[i++];
				}
			} else {
				while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
					assert.notEqual(text[i], '"', `a quote inside an unquoted field at ${i}`);
					v += text[i++];
				}
			}
			rec.push({ v, q });
			if (text[i] === ',') {
				i++;
				continue;
			}
			assert.equal(text.slice(i, i + 2), '\r\n', `a record must end with CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
			i += 2;
			break;
		}
		records.push(rec);
	}
	return records;
}

const neutralise = (s) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
const textCell = (s) => (s === null || s === undefined ? { v: '', q: false } : { v: neutralise(s), q: true });

/** The record §9.6 defines for a Contact object as the API returns it. */
function expectedRecord(c) {
	return [
		{ v: String(c.id), q: false },
		...['firstName', 'lastName', 'email', 'phone', 'address', 'company', 'jobRole'].map((k) => textCell(c[k])),
		{ v: neutralise(c.tags.map((t) => t.name).join(', ')), q: true },
	];
}

function assertCsvHeaders(res) {
	assert.equal(res.status, 200, show(res));
	assert.equal(res.headers['content-type'], CSV_CT);
	assert.equal(res.headers['content-disposition'], 'attachment; filename="contacts.csv"');
	assert.equal(res.headers['x-content-type-options'], 'nosniff');
	assert.equal(res.headers['cache-control'], 'no-store');
}

/** GET the CSV (path defaults to the resource route); asserts headers; resolves {res, records}. */
async function exportCsv(u, path = '/contacts/export.csv', headers = {}) {
	const res = await u.get(path, { headers });
	assertCsvHeaders(res);
	assert.notEqual(res.body[0], 0xef, 'no byte-order mark');
	assert.ok(res.text.startsWith(HEADER), `header row first: ${JSON.stringify(res.text.slice(0, 120))}`);
	const records = parseCsv(res.text);
	assert.deepEqual(records[0], COLUMNS.map((c) => ({ v: c, q: true })), 'the header row quotes every name');
	return { res, records };
}

async function exportJson(u) {
	const res = await u.get('/me/export');
	assert.equal(res.status, 200, show(res));
	assert.equal(res.headers['content-type'], JSON_CT);
	assert.equal(res.headers['content-disposition'], 'attachment; filename="personal-crm-export.json"');
	assert.equal(res.headers['cache-control'], 'no-store');
	assert.ok(res.json && typeof res.json === 'object', `a JSON document: ${res.text.slice(0, 300)}`);
	return { res, doc: res.json };
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
const userIdSql = (email) => `(SELECT id FROM users WHERE email_key = ${q(email.toLowerCase())})`;

/**
 * Inserts n contacts for the user straight into the store (set-based, so thousands are cheap):
 * first name "Bulk<k>", every third with a company starting with '=', address of addressLen
 * characters; tags "bulk-a" on even k and "Bulk-B" on every fifth. Resolves nothing.
 */
async function bulkContacts(srv, email, n, { addressLen = 0, tags = true } = {}) {
	const uid = userIdSql(email);
	const addr = addressLen ? q('x'.repeat(addressLen)) : 'NULL';
	if (srv.store === 'postgres') {
		await sql(srv, `INSERT INTO contacts (user_id, first_name, first_name_key, last_name_key, company, company_key, address, created_at, updated_at)
			SELECT ${uid}, 'Bulk' || k, 'bulk' || k, '', CASE WHEN k % 3 = 0 THEN '=co' || k END, CASE WHEN k % 3 = 0 THEN '=co' || k END, ${addr}, now(), now()
			FROM generate_series(1, ${n}) AS g(k)`);
		if (tags) {
			await sql(srv, `INSERT INTO tags (user_id, name, name_key, created_at, updated_at) VALUES (${uid}, 'bulk-a', 'bulk-a', now(), now()), (${uid}, 'Bulk-B', 'bulk-b', now(), now());
				INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)
				SELECT c.user_id, c.id, t.id, now() FROM contacts c JOIN tags t ON t.user_id = c.user_id
				WHERE c.user_id = ${uid} AND c.first_name LIKE 'Bulk%' AND ((t.name_key = 'bulk-a' AND substr(c.first_name, 5)::int % 2 = 0) OR (t.name_key = 'bulk-b' AND substr(c.first_name, 5)::int % 5 = 0))`);
		}
		return;
	}
	await sql(srv, `WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < ${n})
		INSERT INTO contacts (user_id, first_name, first_name_key, last_name_key, company, company_key, address, created_at, updated_at)
		SELECT ${uid}, 'Bulk' || k, 'bulk' || k, '', CASE WHEN k % 3 = 0 THEN '=co' || k END, CASE WHEN k % 3 = 0 THEN '=co' || k END, ${addr}, 1700000000000, 1700000000000 FROM g`);
	if (tags) {
		await sql(srv, `INSERT INTO tags (user_id, name, name_key, created_at, updated_at) VALUES (${uid}, 'bulk-a', 'bulk-a', 1700000000000, 1700000000000), (${uid}, 'Bulk-B', 'bulk-b', 1700000000000, 1700000000000);
			INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)
			SELECT c.user_id, c.id, t.id, 1700000000000 FROM contacts c JOIN tags t ON t.user_id = c.user_id
			WHERE c.user_id = ${uid} AND c.first_name LIKE 'Bulk%' AND ((t.name_key = 'bulk-a' AND CAST(substr(c.first_name, 5) AS INTEGER) % 2 = 0) OR (t.name_key = 'bulk-b' AND CAST(substr(c.first_name, 5) AS INTEGER) % 5 = 0))`);
	}
}

/** Relationship rows (one direction, no inverse) from each of the first `from` bulk contacts to the next `per` ones. */
async function bulkRelationships(srv, email, from, per) {
	const uid = userIdSql(email);
	const now = srv.store === 'postgres' ? 'now()' : '1700000000000';
	const num = (col) => (srv.store === 'postgres' ? `substr(${col}, 5)::int` : `CAST(substr(${col}, 5) AS INTEGER)`);
	await sql(srv, `INSERT INTO contact_relationships (user_id, contact_id, related_contact_id, type, created_at)
		SELECT a.user_id, a.id, b.id, 'friend', ${now} FROM contacts a JOIN contacts b ON b.user_id = a.user_id
		WHERE a.user_id = ${uid} AND a.first_name LIKE 'Bulk%' AND b.first_name LIKE 'Bulk%'
		AND ${num('a.first_name')} <= ${from} AND ${num('b.first_name')} > ${num('a.first_name')} AND ${num('b.first_name')} <= ${num('a.first_name')} + ${per}`);
}

describe(`exports [${STORE}]`, () => {
	let S;
	let api;
	before(async () => {
		S = await startContactsServer({ FREE_CONTACT_LIMIT: 100000, RATE_LIMIT_EXPORT_MAX: 100000 });
		api = S.api;
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('an empty account gets the header row only, CRLF-terminated, no BOM', async () => {
		const u = await newUser(api, 'e');
		const { res, records } = await exportCsv(u);
		assert.equal(res.text, HEADER);
		assert.equal(records.length, 1);
	});

	test('the CSV parsed back equals the contacts created: quoting, line breaks, unicode, nulls, tags', async () => {
		const u = await newUser(api, 'x');
		const bodies = [
			{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com', phone: '415 555 2671', company: 'Acme, Inc.', jobRole: 'CTO', tags: ['zeta', 'Alpha', 'Éclair'] },
			{ firstName: 'Quote "Q" Man', lastName: '""', address: 'Line 1\nLine 2\r\nLine 3, "quoted"', company: 'He said "hi"' },
			{ firstName: 'Zoë 日本 😀', lastName: 'Ñandú', company: 'Straße', jobRole: 'Ingénieur', tags: ['über'] },
			{ firstName: 'Nulls' },
			{ firstName: 'Blank', lastName: '', company: '   ', jobRole: null, tags: [] },
			{ firstName: 'Commas,,,', address: ',', jobRole: ',"' },
		];
		const created = [];
		for (const b of bodies) created.push(await u.create(b));
		const { records } = await exportCsv(u);
		assert.equal(records.length, 1 + created.length);
		const byId = [...created].sort((a, b) => a.id - b.id);
		records.slice(1).forEach((rec, i) => assert.deepEqual(rec, expectedRecord(byId[i]), `record of contact ${byId[i].id}`));
		const ann = records.find((r) => r[1].v === 'Ann');
		assert.equal(ann[8].v, 'Alpha, Éclair, zeta', 'tags joined by ", " in folded order');
		const nulls = records.find((r) => r[1].v === 'Nulls');
		assert.deepEqual(nulls.slice(2, 8), Array(6).fill({ v: '', q: false }), 'null values are empty unquoted fields');
		assert.deepEqual(nulls[8], { v: '', q: true }, 'no tags is the empty string ""');
		assert.deepEqual(records.find((r) => r[1].v === 'Blank')[2], { v: '', q: false }, '"" stored as no value exports as null');
		const quoteRow = records.find((r) => r[1].v === 'Quote "Q" Man');
		assert.equal(quoteRow[5].v, 'Line 1\nLine 2\r\nLine 3, "quoted"', 'line breaks kept inside quotes');
	});

	test('cells starting with = + - @ TAB or CR get a leading quote; other cells do not', async () => {
		const u = await newUser(api, 'f');
		const c = await u.create({
			firstName: '=SUM(A1:A9)',
			lastName: '+lastname',
			email: 'ok@example.com',
			phone: '+1 (415) 555-2671',
			address: '\tindented\nsecond line',
			company: '-2+3',
			jobRole: '@cmd',
			tags: ['=evil', 'plain'],
		});
		const c2 = await u.create({ firstName: 'Safe', address: '\rcarriage', company: "'already", jobRole: 'a=b' });
		const { records } = await exportCsv(u);
		const [, r1, r2] = records;
		assert.deepEqual(r1.map((x) => x.v), [String(c.id), "'=SUM(A1:A9)", "'+lastname", 'ok@example.com', "'+1 (415) 555-2671", "'\tindented\nsecond line", "'-2+3", "'@cmd", "'=evil, plain"]);
		assert.deepEqual(r2.map((x) => x.v), [String(c2.id), 'Safe', '', '', '', "'\rcarriage", "'already", 'a=b', '']);
		assert.ok(r1.slice(1).every((x) => x.q), 'every text cell is quoted');
	});

	test("only the caller's rows are exported, and the compatibility route (C12) is byte-identical", async () => {
		const a = await newUser(api, 'a');
		const b = await newUser(api, 'b');
		const mine = [await a.create({ firstName: 'Mine1' }), await a.create({ firstName: 'Mine2', tags: ['t'] })];
		await b.create({ firstName: 'Theirs', tags: ['t'] });
		const { res, records } = await exportCsv(a);
		assert.deepEqual(records.slice(1).map((r) => Number(r[0].v)), mine.map((c) => c.id));
		assert.ok(!res.text.includes('Theirs'));
		const compat = await a.get('/contacts/export-contacts');
		assertCsvHeaders(compat);
		assert.ok(compat.body.equals(res.body), `C12 answers the same bytes:\n${compat.text}\n---\n${res.text}`);
		const loose = await a.get('/contacts/Export-Contacts/');
		assertCsvHeaders(loose);
		assert.ok(loose.body.equals(res.body), 'compatibility matching: case-insensitive, one trailing slash');
		const bRecords = (await exportCsv(b)).records;
		assert.deepEqual(bRecords.slice(1).map((r) => r[1].v), ['Theirs']);
	});

	test('Accept: text/csv and */* are served; text/html → 406; JSON-only /me/export refuses text/csv', async () => {
		const u = await newUser(api, 'h');
		await u.create({ firstName: 'A' });
		for (const path of ['/contacts/export.csv', '/contacts/export-contacts']) {
			await exportCsv(u, path, { Accept: 'text/csv' });
			await exportCsv(u, path, { Accept: 'text/html, */*;q=0.1' });
			const r = await u.get(path, { headers: { Accept: 'text/html' } });
			assertError(r, 406, 'not_acceptable', { compat: path.includes('export-contacts') });
		}
		assertError(await u.get('/me/export', { headers: { Accept: 'text/csv' } }), 406, 'not_acceptable');
		const ok = await u.get('/me/export', { headers: { Accept: 'application/json' } });
		assert.equal(ok.status, 200, show(ok));
	});

	test('authentication is required on every export route', async () => {
		for (const path of ['/contacts/export.csv', '/me/export']) {
			const r = await api.get(path);
			assertError(r, 401, 'unauthenticated');
		}
		assertError(await api.get('/contacts/export-contacts'), 401, 'unauthenticated', { compat: true });
	});

	test('HEAD: /me/export → 405 with Allow: GET; the CSV answers HEAD with its headers and no body', async () => {
		const u = await newUser(api, 'd');
		const h = await request(`${S.srv.url}/api/v1/me/export`, { method: 'HEAD', headers: { Authorization: `Bearer ${u.token}` } });
		assert.equal(h.status, 405);
		assert.equal(h.headers.allow, 'GET');
		const c = await request(`${S.srv.url}/api/v1/contacts/export.csv`, { method: 'HEAD', headers: { Authorization: `Bearer ${u.token}` } });
		assertCsvHeaders(c);
		assert.equal(c.body.length, 0);
	});

	test('more than 1,000 contacts: every chunk boundary keeps ids ascending and tags attached', async () => {
		const u = await newUser(api, 'k');
		const n = 2345;
		await bulkContacts(S.srv, u.ident.email, n);
		const { records } = await exportCsv(u);
		assert.equal(records.length, n + 1);
		const rows = records.slice(1);
		for (let i = 1; i < rows.length; i++) assert.ok(Number(rows[i][0].v) > Number(rows[i - 1][0].v), `ids ascending at ${i}`);
		rows.forEach((r, i) => {
			const k = i + 1;
			assert.equal(r[1].v, `Bulk${k}`);
			const tags = [k % 2 === 0 ? 'bulk-a' : null, k % 5 === 0 ? 'Bulk-B' : null].filter(Boolean).join(', ');
			assert.deepEqual(r[8], { v: tags, q: true }, `tags of Bulk${k}`);
			assert.deepEqual(r[6], k % 3 === 0 ? { v: `'=co${k}`, q: true } : { v: '', q: false }, `company of Bulk${k}`);
		});
		const { doc } = await exportJson(u);
		assert.equal(doc.contacts.length, n);
		assert.deepEqual(doc.contacts.map((c) => c.id), rows.map((r) => Number(r[0].v)));
		assert.deepEqual(doc.tags.map((t) => [t.name, t.contactCount]), [['bulk-a', Math.floor(n / 2)], ['Bulk-B', Math.floor(n / 5)]]);
	});

	test('/me/export: relationships past one read chunk are all exported, each contact complete', async () => {
		const u = await newUser(api, 'r');
		await bulkContacts(S.srv, u.ident.email, 1100, { tags: false });
		await bulkRelationships(S.srv, u.ident.email, 40, 60); // 2,400 rows on the first 40 contacts
		const { doc } = await exportJson(u);
		assert.equal(doc.contacts.length, 1100);
		let total = 0;
		doc.contacts.forEach((c, i) => {
			const k = i + 1;
			assert.deepEqual(Object.keys(c).slice(-1), ['relationships']);
			const want = k <= 40 ? 60 : 0;
			assert.equal(c.relationships.length, want, `relationships of Bulk${k}`);
			const ids = c.relationships.map((r) => r.id);
			assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ordered by id');
			for (const r of c.relationships) {
				assert.equal(r.contactId, c.id);
				assert.equal(r.relatedContact.id, r.relatedContactId);
				assert.match(r.relatedContact.firstName, /^Bulk\d+$/);
				assert.ok(r.relatedContactId > c.id);
			}
			total += c.relationships.length;
		});
		assert.equal(total, 2400);
		assert.equal(new Set(doc.contacts.map((c) => c.id)).size, 1100, 'no contact written twice');
	});

	test('/me/export: every key of §8, each object as its own route returns it, no secret anywhere', async () => {
		const u = await newUser(api, 'm');
		const other = await newUser(api, 'o');
		await other.create({ firstName: 'NotMine', tags: ['foreign'] });
		const c1 = await u.create({ firstName: 'Ann', lastName: 'Lee', customFields: { vip: true, n: 2.5 }, birthday: '--04-12', tags: ['vip', 'friends'] });
		const c2 = await u.create({ firstName: 'Bo', email: 'bo@example.com' });
		const rel = await u.post(`/contacts/${c1.id}/relationships`, { relatedContactId: c2.id, type: 'manager' });
		assert.equal(rel.status, 201, show(rel));
		const n1 = await u.post('/notes', { contactId: c1.id, title: 'First', content: 'Met at the fair.\nNice.' });
		const n2 = await u.post('/notes', { contactId: c2.id, title: 'Second', content: 'x' });
		const i1 = await u.post('/interactions', { contactId: c1.id, type: 'call', occurredAt: '2025-06-30T13:32:14Z', durationMinutes: 5 });
		for (const r of [n1, n2, i1]) assert.equal(r.status, 201, show(r));
		// A second session, so sessions has two items.
		const l2 = await api.post('/auth/login', { body: { email: u.ident.email, password: u.ident.password } });
		assert.equal(l2.status, 200, show(l2));

		const { res, doc } = await exportJson(u);
		assert.deepEqual(Object.keys(doc), EXPORT_KEYS);
		assert.equal(doc.format, 'personal-crm-export');
		assert.equal(doc.version, 1);
		assert.match(doc.exportedAt, ISO_MS);

		assert.deepEqual(doc.user, (await u.get('/me')).json.data);
		assert.deepEqual(doc.subscription, (await u.get('/subscription')).json.data);
		const tagIds = doc.tags.map((t) => t.id);
		assert.deepEqual(tagIds, [...tagIds].sort((a, b) => a - b));
		assert.deepEqual(doc.tags.map((t) => t.name).sort(), ['friends', 'vip']);
		for (const t of doc.tags) assert.deepEqual(t, (await u.get(`/tags/${t.id}`)).json.data);

		assert.deepEqual(doc.contacts.map((c) => c.id), [c1.id, c2.id]);
		for (const c of doc.contacts) {
			const { relationships, ...rest } = c;
			assert.deepEqual(rest, (await u.get(`/contacts/${c.id}`)).json.data);
			const list = (await u.get(`/contacts/${c.id}/relationships`)).json.data.sort((a, b) => a.id - b.id);
			assert.deepEqual(relationships, list);
		}
		assert.equal(doc.contacts[0].relationships[0].type, 'manager');
		assert.equal(doc.contacts[1].relationships[0].type, 'report');

		assert.deepEqual(doc.notes, [n1.json.data, n2.json.data]);
		for (const n of doc.notes) assert.deepEqual(n, (await u.get(`/notes/${n.id}`)).json.data);
		assert.deepEqual(doc.interactions, [(await u.get(`/interactions/${i1.json.data.id}`)).json.data]);

		const sessions = (await u.get('/me/sessions')).json.data.sort((a, b) => a.id - b.id);
		assert.equal(doc.sessions.length, 2);
		assert.deepEqual(doc.sessions, sessions, 'sessions as GET /me/sessions shows them, ordered by id');
		assert.equal(doc.sessions.filter((s) => s.current).length, 1);

		assert.ok(doc.securityEvents.length >= 2, JSON.stringify(doc.securityEvents));
		for (const e of doc.securityEvents) {
			assert.deepEqual(Object.keys(e), ['event', 'createdAt', 'ipAddress']);
			assert.match(e.createdAt, ISO_MS);
		}
		assert.equal(doc.securityEvents.filter((e) => e.event === 'auth.login').length, 2);
		assert.ok(doc.securityEvents.every((e) => e.ipAddress === '127.0.0.1'));

		// Nothing secret, nothing of the other user.
		const walk = (v, where) => {
			if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
			else if (v && typeof v === 'object') {
				for (const [k, x] of Object.entries(v)) {
					assert.ok(!/hash|secret|token|^password$|^details$/i.test(k), `no key ${where}.${k}`);
					walk(x, `${where}.${k}`);
				}
			}
		};
		walk(doc, 'export');
		for (const s of [u.ident.password, u.token, l2.json.data.accessToken, '$argon2', 'NotMine', 'foreign']) {
			assert.ok(!res.text.includes(s), `the export does not contain ${s.slice(0, 12)}…`);
		}
		if (l2.json.data.refreshToken) assert.ok(!res.text.includes(l2.json.data.refreshToken));
	});

	test('/me/export of an account with nothing: empty arrays, still every key', async () => {
		const u = await newUser(api, 'z');
		const { doc } = await exportJson(u);
		assert.deepEqual(Object.keys(doc), EXPORT_KEYS);
		for (const k of ['tags', 'contacts', 'notes', 'interactions']) assert.deepEqual(doc[k], [], k);
		assert.equal(doc.sessions.length, 1);
		assert.equal(doc.subscription.status, 'none');
	});

	test('a paused download holds neither the polling thread nor a pooled connection (§13.7)', async () => {
		// One polling thread and one pooled connection: if the export held either while the
		// client is not reading, GET /me would stall (and on PostgreSQL answer 503 after 2 s).
		// The schema is applied by `crm migrate` first: with DB_POOL_SIZE=1 the automatic
		// migration at start-up does not get the pool's only connection in time.
		const srv = await startServer({ migrate: true, env: { ...CONTACTS_ENV, WORKER_THREADS: 1, DB_POOL_SIZE: 1 } });
		const P = { srv, api: new Api(srv), stop: () => stopChecked(srv) };
		try {
			const u = await newUser(P.api, 'p');
			const n = 25000;
			await bulkContacts(P.srv, u.ident.email, n, { addressLen: 500, tags: false }); // ≈ 13 MB of CSV
			const url = new URL(`${P.srv.url}/api/v1/contacts/export.csv`);
			const chunks = [];
			let res = null;
			const done = new Promise((resolve, reject) => {
				const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers: { Authorization: `Bearer ${u.token}` }, agent: false }, (r) => {
					res = r;
					r.on('data', (c) => {
						chunks.push(c);
						if (chunks.length === 1) r.pause(); // stop reading: the server's sends fill up and stop
					});
					r.on('end', resolve);
					r.on('error', reject);
				});
				req.on('error', reject);
			});
			while (chunks.length === 0) await new Promise((r) => setTimeout(r, 20));
			assert.equal(res.statusCode, 200);
			await new Promise((r) => setTimeout(r, 500));
			const t0 = Date.now();
			const me = await u.get('/me');
			const ms = Date.now() - t0;
			assert.equal(me.status, 200, show(me));
			assert.ok(ms < 1500, `GET /me answered in ${ms} ms while the export was paused`);
			const exportLogged = () => P.srv.accessLogs().some((l) => l.route === '/api/v1/contacts/export.csv');
			assert.equal(exportLogged(), false, 'the export was still in progress (its access line comes after the last byte)');
			res.resume();
			await done;
			const records = parseCsv(Buffer.concat(chunks).toString('utf8'));
			assert.equal(records.length, n + 1);
			assert.equal(records[n][1].v, `Bulk${n}`);
		} finally {
			await P.stop();
		}
	});
});

describe(`export rate limit [${STORE}]`, () => {
	let S;
	before(async () => {
		S = await startContactsServer({ RATE_LIMIT_EXPORT_MAX: 3 });
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('the three export routes share one bucket per user: 429 with Retry-After past RATE_LIMIT_EXPORT_MAX', async () => {
		const u = await newUser(S.api, 'l');
		const v = await newUser(S.api, 'v');
		const r1 = await u.get('/contacts/export.csv');
		assert.equal(r1.status, 200, show(r1));
		assert.equal(r1.headers['ratelimit-limit'], '3');
		assert.equal(r1.headers['ratelimit-remaining'], '2');
		assert.equal((await u.get('/me/export')).status, 200);
		assert.equal((await u.get('/contacts/export-contacts')).status, 200);
		for (const [path, compat] of [['/contacts/export.csv', false], ['/me/export', false], ['/contacts/export-contacts', true]]) {
			const r = await u.get(path);
			assertError(r, 429, 'rate_limited', { compat });
			assert.ok(Number(r.headers['retry-after']) >= 1, `Retry-After: ${r.headers['retry-after']}`);
		}
		assert.equal((await u.get('/contacts')).status, 200, 'other routes are not in the export bucket');
		assert.equal((await v.get('/contacts/export.csv')).status, 200, 'keyed by user');
	});
});

#!/usr/bin/env node
// The one entry point of the test suite (`make test`, `make asan`, `make unit`, `make api`):
//   node tests/run.mjs --build build [--only unit|api] [--store sqlite|postgres]
//                      [--files a.test.mjs,...] [--grep PATTERN] [--concurrency N] [--quiet]
// 1. runs every executable <build>/tests/test_* (C unit tests, each printing
//    "<file>: N passed, N failed"); 2. starts one throwaway PostgreSQL cluster; 3. runs
// tests/api/*.test.mjs with node:test once per store (CRM_TEST_STORE=sqlite, then postgres),
// then tests/cross/*.test.mjs once (tests that use both stores, e.g. migrate-to-postgres);
// 4. stops PostgreSQL; 5. prints a breakdown and the closing line "N passed, N failed".
// Exits 1 when anything failed or when no test ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from 'node:test';
import { PgCluster } from './support/postgres.mjs';
import { sweepPids, onSignal, onCleanup } from './support/cleanup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function usage(msg) {
	if (msg) console.error(`run.mjs: ${msg}`);
	console.error('usage: node tests/run.mjs [--build DIR] [--only unit|api] [--store sqlite|postgres] [--files F,...] [--grep RE] [--concurrency N] [--quiet]');
	process.exit(64);
}

function parseArgs(argv) {
	const o = { build: 'build', only: null, stores: ['sqlite', 'postgres'], files: null, grep: null, concurrency: 2, quiet: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length) usage(`${a} needs a value`);
			return argv[++i];
		};
		if (a === '--build') o.build = val();
		else if (a === '--only') {
			o.only = val();
			if (!['unit', 'api'].includes(o.only)) usage(`--only takes unit or api, not ${o.only}`);
		} else if (a === '--store') {
			const s = val();
			if (!['sqlite', 'postgres'].includes(s)) usage(`--store takes sqlite or postgres, not ${s}`);
			o.stores = [s];
		} else if (a === '--files') o.files = val().split(',').filter(Boolean);
		else if (a === '--grep') o.grep = val();
		else if (a === '--concurrency') o.concurrency = Math.max(1, parseInt(val(), 10) || 1);
		else if (a === '--quiet') o.quiet = true;
		else if (a === '--help' || a === '-h') usage();
		else usage(`unknown argument ${a}`);
	}
	return o;
}

const opts = parseArgs(process.argv.slice(2));
const BUILD = path.resolve(ROOT, opts.build);
const started = Date.now();

// Results per part: {label, passed, failed, skipped, failures: [{name, message}]}.
const parts = [];
const newPart = (label) => {
	const p = { label, passed: 0, failed: 0, skipped: 0, failures: [] };
	parts.push(p);
	return p;
};

// A run directory for pid records and temporary files of every test process.
const RUN_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-run-'));
process.env.CRM_TEST_RUN_DIR = RUN_DIR;
process.env.CRM_BUILD = BUILD;
onCleanup(() => {
	sweepPids(RUN_DIR);
	if (process.env.CRM_TEST_KEEP !== '1') fs.rmSync(RUN_DIR, { recursive: true, force: true });
});

const abort = new AbortController();
onSignal((sig) => {
	console.error(`\nrun.mjs: ${sig}: stopping tests and services`);
	abort.abort();
});

const log = (s = '') => process.stdout.write(s + '\n');
const indent = (s, pad = '      ') => String(s).split('\n').map((l) => pad + l).join('\n');

// ---------------------------------------------------------------- 1. C unit tests

function runUnitBinary(file, env) {
	return new Promise((resolve) => {
		const child = spawn(file, [], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
		child.on('error', (e) => {
			clearTimeout(timer);
			resolve({ code: null, signal: null, stdout, stderr: stderr + e.message });
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

async function unitTests(env) {
	const part = newPart('unit tests (C)');
	const dir = path.join(BUILD, 'tests');
	let bins = [];
	try {
		bins = fs
			.readdirSync(dir)
			.filter((f) => f.startsWith('test_'))
			.map((f) => path.join(dir, f))
			.filter((f) => {
				const st = fs.statSync(f);
				return st.isFile() && (st.mode & 0o111) !== 0;
			})
			.sort();
	} catch {
		/* no directory */
	}
	log(`== unit tests: ${bins.length} binaries in ${path.relative(ROOT, dir) || dir}`);
	if (bins.length === 0) log('   (none found: run `make build`)');
	for (const bin of bins) {
		if (abort.signal.aborted) break;
		const name = path.basename(bin);
		const r = await runUnitBinary(bin, env);
		const m = [...r.stdout.matchAll(/^(.*): (\d+) passed, (\d+) failed\s*$/gm)].pop();
		let passed = 0;
		let failed = 0;
		let problem = null;
		if (!m) {
			failed = 1;
			problem = r.signal ? `crashed with ${r.signal}` : `printed no "N passed, N failed" line (exit ${r.code})`;
		} else {
			passed = Number(m[2]);
			failed = Number(m[3]);
			if (r.signal) {
				failed += 1;
				problem = `crashed with ${r.signal}`;
			} else if (r.code !== 0 && failed === 0) {
				failed = 1;
				problem = `exited with ${r.code} although it reported no failure`;
			} else if (r.code === 0 && failed > 0) {
				problem = 'reported failures but exited 0';
			}
		}
		part.passed += passed;
		part.failed += failed;
		const ok = failed === 0;
		log(`   ${ok ? 'ok  ' : 'FAIL'} ${name}  [${passed} passed, ${failed} failed]${problem ? '  ' + problem : ''}`);
		if (!ok) {
			const detail = (r.stderr.trim() + (problem ? `\n${problem}` : '')).trim();
			part.failures.push({ name: `unit ${name}`, message: detail.slice(-4000) || problem || 'failed' });
			if (detail) log(indent(detail.slice(-4000)));
		}
	}
	return part;
}

// ---------------------------------------------------------------- 3. API tests

/** The test files of tests/<sub> (api: run once per store; cross: once), filtered by --files. */
function testFiles(sub) {
	const dir = path.join(ROOT, 'tests', sub);
	let files = [];
	try {
		files = fs.readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort();
	} catch {
		/* none */
	}
	if (opts.files) {
		files = files.filter((f) => opts.files.some((want) => f === want || f === `${want}.test.mjs` || f.startsWith(want)));
	}
	return files.map((f) => path.join(dir, f));
}

function errorText(err) {
	if (!err) return 'failed';
	const cause = err.cause && typeof err.cause === 'object' ? err.cause : null;
	const e = cause && (err.failureType === 'testCodeFailure' || err.failureType === 'hookFailed') ? cause : err;
	let msg = e.message || String(e);
	if (err.failureType === 'hookFailed' && cause) msg = `${err.message}: ${cause.message || cause}`;
	const stack = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /tests\/(api|cross|support)\//.test(l)).slice(0, 3) : [];
	if (stack.length) msg += '\n' + stack.map((l) => l.trim()).join('\n');
	return msg;
}

// store: "sqlite" or "postgres" (CRM_TEST_STORE for the files), or "cross" for tests/cross,
// whose files choose the store of each server themselves.
async function apiRun(store, files, pgEnv) {
	const cross = store === 'cross';
	const part = newPart(cross ? 'cross-store tests' : `api tests (${store})`);
	log(cross ? `\n== cross-store tests: ${files.length} files` : `\n== api tests, store ${store}: ${files.length} files`);
	if (files.length === 0) return part;
	if (cross) delete process.env.CRM_TEST_STORE;
	else process.env.CRM_TEST_STORE = store;
	Object.assign(process.env, pgEnv || {});
	const stream = run({
		files,
		concurrency: opts.concurrency,
		timeout: 8 * 60 * 1000, // per file
		signal: abort.signal,
		...(opts.grep ? { testNamePatterns: [opts.grep] } : {}),
	});
	const names = new Map(); // file -> [name at each nesting]
	const counts = new Map(); // file -> [results seen at each nesting since the parent's last result]
	const output = new Map(); // file -> captured stdout/stderr of the test process
	const fileFailed = new Set();
	const rel = (f) => (f ? path.relative(ROOT, f) : '?');
	for await (const ev of stream) {
		const d = ev.data || {};
		const file = d.file || '';
		if (ev.type === 'test:start') {
			const arr = names.get(file) || [];
			arr[d.nesting] = d.name;
			arr.length = d.nesting + 1;
			names.set(file, arr);
		} else if (ev.type === 'test:stdout' || ev.type === 'test:stderr') {
			output.set(file, (output.get(file) || '') + d.message);
		} else if (ev.type === 'test:pass' || ev.type === 'test:fail') {
			const c = counts.get(file) || [];
			counts.set(file, c);
			const hadChildren = (c[d.nesting + 1] || 0) > 0;
			c[d.nesting + 1] = 0;
			c[d.nesting] = (c[d.nesting] || 0) + 1;
			const isFileWrapper = d.nesting === 0 && d.name === file;
			const err = d.details?.error;
			const stackNames = (names.get(file) || []).slice(0, d.nesting);
			const fullName = isFileWrapper ? rel(file) : [...stackNames, d.name].filter(Boolean).join(' > ');
			if (ev.type === 'test:pass') {
				if (hadChildren || isFileWrapper) continue; // a suite or a test with subtests
				if (d.skip === 'test name does not match pattern') continue; // filtered by --grep
				if (d.skip || d.todo) {
					part.skipped++;
					if (!opts.quiet) log(`   skip ${fullName}`);
					continue;
				}
				part.passed++;
				if (!opts.quiet) log(`   ok   ${fullName}  (${Math.round(d.details?.duration_ms ?? 0)} ms)`);
			} else {
				if (d.todo) {
					part.skipped++;
					continue;
				}
				// A parent fails because a child did: already counted at the child.
				if ((hadChildren || isFileWrapper) && err?.failureType === 'subtestsFailed') continue;
				part.failed++;
				fileFailed.add(file);
				const message = isFileWrapper ? `test file failed: ${errorText(err)}` : errorText(err);
				part.failures.push({ name: `[${store}] ${fullName} (${rel(file)})`, message });
				log(`   FAIL ${fullName}`);
				log(indent(message));
			}
		}
	}
	for (const f of fileFailed) {
		const out = (output.get(f) || '').trim();
		if (out) {
			log(`\n   output of ${rel(f)}:`);
			log(indent(out.slice(-6000)));
		}
	}
	return part;
}

// ---------------------------------------------------------------- main

async function main() {
	log(`crm tests: build ${path.relative(ROOT, BUILD) || BUILD}${opts.only ? `, only ${opts.only}` : ''}`);
	const setup = newPart('test setup');
	// One throwaway PostgreSQL cluster serves the store unit tests and the API tests.
	let pg = null;
	let pgEnv = {};
	try {
		const t0 = Date.now();
		pg = await PgCluster.start();
		pgEnv = pg.env();
		log(`== postgres: cluster at ${pg.socketDir} (${Date.now() - t0} ms)`);
	} catch (e) {
		setup.failed++;
		setup.failures.push({ name: 'PostgreSQL cluster', message: e.message });
		log(`== postgres: FAIL ${e.message}`);
	}
	try {
		if (opts.only !== 'api') {
			const unitEnv = pg
				? { CRM_TEST_DATABASE_URL: `postgresql://${pg.user}@/postgres?host=${encodeURIComponent(pg.socketDir)}&port=${pgEnv.CRM_TEST_PG_PORT}` }
				: {};
			await unitTests(unitEnv);
		}
		if (opts.only !== 'unit' && !abort.signal.aborted) {
			const files = testFiles('api');
			const crossFiles = testFiles('cross');
			const crm = path.join(BUILD, 'crm');
			if (!fs.existsSync(crm)) {
				// Counted once here; the files still run, and every test that needs the server fails.
				setup.failed++;
				setup.failures.push({ name: 'api: crm binary', message: `${crm} not found: run \`make build\`` });
				log(`\n== api tests: FAIL ${crm} not found (run make build)`);
			}
			if (files.length === 0 && crossFiles.length === 0) {
				setup.failed++;
				setup.failures.push({ name: 'api: test files', message: 'no tests/api/*.test.mjs or tests/cross/*.test.mjs files matched' });
			} else {
				for (const store of files.length ? opts.stores : []) {
					if (abort.signal.aborted) break;
					if (store === 'postgres' && !pg) {
						log('\n== api tests, store postgres: not run (no PostgreSQL cluster)');
						continue;
					}
					await apiRun(store, files, pgEnv);
				}
				// Once, after the per-store runs: these need both stores, so not with --store.
				if (crossFiles.length && !abort.signal.aborted) {
					if (opts.stores.length < 2) {
						log('\n== cross-store tests: not run (--store picks one store)');
					} else if (!pg) {
						// Counted: the cluster's own failure is in setup, and these must not pass silently.
						setup.failed++;
						setup.failures.push({ name: 'cross-store tests', message: 'not run: no PostgreSQL cluster' });
						log('\n== cross-store tests: FAIL not run (no PostgreSQL cluster)');
					} else {
						await apiRun('cross', crossFiles, pgEnv);
					}
				}
			}
		}
	} finally {
		if (pg) {
			await pg.destroy().catch((e) => log(`postgres: stop failed: ${e.message}`));
		}
	}
	if (setup.failed === 0) parts.splice(parts.indexOf(setup), 1);

	const swept = sweepPids(RUN_DIR);
	if (swept.length) log(`\nrun.mjs: stopped services left behind by test processes: ${swept.join(', ')}`);

	const total = parts.reduce((a, p) => ({ passed: a.passed + p.passed, failed: a.failed + p.failed, skipped: a.skipped + p.skipped }), {
		passed: 0,
		failed: 0,
		skipped: 0,
	});
	const failures = parts.flatMap((p) => p.failures);
	if (failures.length) {
		log(`\n== failures (${failures.length})`);
		for (const f of failures) log(`   - ${f.name}: ${String(f.message).split('\n')[0].slice(0, 300)}`);
	}
	log(`\n== summary (${((Date.now() - started) / 1000).toFixed(1)} s)`);
	const width = Math.max(...parts.map((p) => p.label.length), 10);
	for (const p of parts) {
		log(`   ${p.label.padEnd(width)}   ${p.passed} passed, ${p.failed} failed${p.skipped ? `, ${p.skipped} skipped` : ''}`);
	}
	if (abort.signal.aborted) log('   (interrupted)');
	if (total.passed + total.failed === 0) log('   no test ran');
	log(`${total.passed} passed, ${total.failed} failed`);
	return total.failed > 0 || total.passed + total.failed === 0 || abort.signal.aborted ? 1 : 0;
}

main().then(
	(code) => {
		process.exitCode = code;
		// Test streams can leave handles behind; do not let them keep the process alive.
		setTimeout(() => process.exit(code), 500).unref();
	},
	(e) => {
		console.error(e?.stack || e);
		log('0 passed, 1 failed');
		process.exit(1);
	},
);

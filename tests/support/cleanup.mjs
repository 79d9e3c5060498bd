// Cleanup registry shared by the harness modules: every service process and temporary
// directory a test starts is registered here and removed when the process exits, also after
// a failure, an uncaught exception or SIGINT/SIGTERM/SIGHUP. Processes are stopped by their
// process id only (never by name). When the orchestrator (tests/run.mjs) sets
// CRM_TEST_RUN_DIR, every service pid is also recorded there as a file, so that the
// orchestrator can sweep services left behind by a test process that died hard (SIGKILL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const tasks = new Map(); // id -> synchronous function
let nextId = 1;
let installed = false;
let exiting = false;

function runAll() {
	const fns = [...tasks.entries()].reverse();
	tasks.clear();
	for (const [, fn] of fns) {
		try {
			fn();
		} catch {
			/* keep cleaning up */
		}
	}
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
const signalHooks = [];

function install() {
	if (installed) return;
	installed = true;
	process.on('exit', runAll);
	for (const [sig, num] of Object.entries(SIGNALS)) {
		process.on(sig, () => {
			if (exiting) return;
			exiting = true;
			for (const hook of signalHooks) {
				try {
					hook(sig);
				} catch {
					/* ignore */
				}
			}
			runAll();
			process.exit(128 + num);
		});
	}
}

/** Registers a synchronous cleanup function; returns an id for cancelCleanup. */
export function onCleanup(fn) {
	install();
	const id = nextId++;
	tasks.set(id, fn);
	return id;
}

export function cancelCleanup(id) {
	tasks.delete(id);
}

/** Runs fn(signalName) before the cleanups when a terminating signal arrives. */
export function onSignal(fn) {
	install();
	signalHooks.push(fn);
}

/** True while the process with this pid exists (and is not a zombie we reaped). */
export function pidAlive(pid) {
	if (!pid) return false;
	try {
		process.kill(pid, 0);
	} catch (e) {
		return e.code === 'EPERM';
	}
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
		if (state === 'Z' || state === 'X') return false;
	} catch {
		/* no /proc: trust kill(0) */
	}
	return true;
}

/** Sends a signal to one pid, ignoring "no such process". */
export function killPid(pid, signal = 'SIGKILL') {
	try {
		process.kill(pid, signal);
		return true;
	} catch {
		return false;
	}
}

function pidDir() {
	const run = process.env.CRM_TEST_RUN_DIR;
	if (!run) return null;
	const dir = path.join(run, 'pids');
	fs.mkdirSync(dir, { recursive: true });
	return dir;
}

/**
 * Records a service pid in the run directory (if any) so the orchestrator can sweep it.
 * info: { kind, match (a substring of /proc/<pid>/cmdline), pgData?, pgBin? }.
 */
export function trackPid(pid, info) {
	const dir = pidDir();
	if (!dir || !pid) return;
	try {
		fs.writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify({ pid, ...info }));
	} catch {
		/* best effort */
	}
}

export function untrackPid(pid) {
	const dir = pidDir();
	if (!dir || !pid) return;
	try {
		fs.rmSync(path.join(dir, `${pid}.json`), { force: true });
	} catch {
		/* ignore */
	}
}

/**
 * Orchestrator side: stops every service still recorded under runDir/pids. A pid is killed
 * only when /proc/<pid>/cmdline still contains the recorded match, so a reused pid is never
 * hit. Returns the descriptions of what had to be stopped.
 */
export function sweepPids(runDir) {
	const dir = path.join(runDir, 'pids');
	const swept = [];
	let files = [];
	try {
		files = fs.readdirSync(dir);
	} catch {
		return swept;
	}
	for (const f of files) {
		let info;
		try {
			info = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
		} catch {
			continue;
		}
		if (!pidAlive(info.pid)) continue;
		let cmdline = '';
		try {
			cmdline = fs.readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
		} catch {
			continue;
		}
		if (info.match && !cmdline.includes(info.match)) continue;
		if (info.kind === 'postgres' && info.pgData && info.pgBin) {
			pgStopImmediateSync(info.pgBin, info.pgData);
		}
		if (pidAlive(info.pid)) killPid(info.pid, 'SIGKILL');
		swept.push(`${info.kind} pid ${info.pid}`);
	}
	return swept;
}

/** `pg_ctl stop -m immediate`, run as the postgres user when we are root. */
export function pgStopImmediateSync(pgBin, pgData) {
	const pgCtl = path.join(pgBin, 'pg_ctl');
	const args = ['stop', '-D', pgData, '-m', 'immediate', '-w', '-t', '10'];
	const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const r = asRoot
		? spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore', timeout: 15000 })
		: spawnSync(pgCtl, args, { stdio: 'ignore', timeout: 15000 });
	return r.status === 0;
}

/** Creates a fresh temporary directory (mode 0700), removed at exit unless CRM_TEST_KEEP=1. */
export function tempDir(prefix = 'crm-test-') {
	const base = process.env.CRM_TEST_RUN_DIR && fs.existsSync(process.env.CRM_TEST_RUN_DIR)
		? process.env.CRM_TEST_RUN_DIR
		: os.tmpdir();
	const dir = fs.mkdtempSync(path.join(base, prefix));
	if (process.env.CRM_TEST_KEEP !== '1') {
		onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
	}
	return dir;
}

/** Finds an executable on PATH (or returns an absolute path unchanged if it exists). */
export function findExecutable(name) {
	if (name.includes('/')) return isExecutable(name) ? name : null;
	for (const dir of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':')) {
		if (!dir) continue;
		const p = path.join(dir, name);
		if (isExecutable(p)) return p;
	}
	for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
		const p = path.join(dir, name);
		if (isExecutable(p)) return p;
	}
	return null;
}

function isExecutable(p) {
	try {
		const st = fs.statSync(p);
		return st.isFile() && (st.mode & 0o111) !== 0;
	} catch {
		return false;
	}
}

/** Promise that resolves after ms milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Throwaway PostgreSQL clusters for the tests: initdb in a temporary directory, Unix socket
// only (listen_addresses=''), fsync off. PostgreSQL refuses to run as root, so when the tests
// run as root the server-side binaries run as the postgres user through runuser, with the
// directory handed to that user. Clients (psql, createdb, crm) connect over the socket.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
	onCleanup,
	cancelCleanup,
	trackPid,
	untrackPid,
	pidAlive,
	killPid,
	pgStopImmediateSync,
	sleep,
} from './cleanup.mjs';

const PG_ROOT = '/usr/lib/postgresql';
const PG_PORT = 5432; // only names the socket file: no TCP listener is opened

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql; throws if none. */
export function pgBinDir() {
	let versions = [];
	try {
		versions = fs
			.readdirSync(PG_ROOT)
			.filter((v) => fs.existsSync(path.join(PG_ROOT, v, 'bin', 'initdb')))
			.sort((a, b) => parseFloat(b) - parseFloat(a));
	} catch {
		/* missing root */
	}
	if (versions.length === 0) {
		throw new Error(
			`PostgreSQL server binaries not found: no ${PG_ROOT}/<version>/bin/initdb. ` +
				'Install the postgresql package (scripts/deps.sh test).',
		);
	}
	return path.join(PG_ROOT, versions[0], 'bin');
}

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a command, collecting output; resolves {code, signal, stdout, stderr}. */
function run(cmd, args, { cwd, timeoutMs = 60000, env } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd, env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(new Error(`cannot run ${cmd}: ${e.message}`));
		});
		// 'exit', not 'close': a daemon started by pg_ctl may keep inherited pipes open.
		child.on('exit', (code, signal) => {
			clearTimeout(timer);
			setImmediate(() => resolve({ code, signal, stdout, stderr }));
		});
	});
}

let dbCounter = 0;
/** A database name unique across processes of one test run. */
export function uniqueDbName(prefix = 'crm_t') {
	dbCounter++;
	const rnd = Math.random().toString(36).slice(2, 8);
	return `${prefix}_${process.pid}_${dbCounter}_${rnd}`.toLowerCase();
}

/** libpq URI for a database reached over a socket directory. */
export function pgUrl(socketDir, dbName, user = 'postgres') {
	return `postgresql://${user}@/${dbName}?host=${socketDir}`;
}

/** Client-side operations shared by a cluster we own and one described by the environment. */
class PgClient {
	constructor({ socketDir, user = 'postgres', bin }) {
		this.socketDir = socketDir;
		this.user = user;
		this.bin = bin || pgBinDir();
	}

	url(dbName) {
		return pgUrl(this.socketDir, dbName, this.user);
	}

	/** Runs SQL through psql (-At output); throws with psql's stderr on failure. */
	async psql(sql, db = 'postgres') {
		const r = await run(path.join(this.bin, 'psql'), [
			'-h', this.socketDir, '-p', String(PG_PORT), '-U', this.user, '-d', db,
			'-X', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql,
		]);
		if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr.trim()}`);
		return r.stdout;
	}

	/** Creates a fresh database; returns its DATABASE_URL (postgresql://postgres@/NAME?host=SOCKETDIR). */
	async createDatabase(name = uniqueDbName()) {
		const r = await run(path.join(this.bin, 'createdb'), [
			'-h', this.socketDir, '-p', String(PG_PORT), '-U', this.user, '-E', 'UTF8', '-T', 'template0', name,
		]);
		if (r.code !== 0) throw new Error(`createdb ${name} failed (${r.code}): ${r.stderr.trim()}`);
		return this.url(name);
	}

	async dropDatabase(name) {
		const r = await run(path.join(this.bin, 'dropdb'), [
			'-h', this.socketDir, '-p', String(PG_PORT), '-U', this.user, '--if-exists', '--force', name,
		]);
		return r.code === 0;
	}

	/** Environment for child processes that should use this cluster. */
	env() {
		return {
			CRM_TEST_PG_SOCKET: this.socketDir,
			CRM_TEST_PG_USER: this.user,
			CRM_TEST_PG_BIN: this.bin,
			CRM_TEST_PG_PORT: String(PG_PORT),
		};
	}
}

/** A cluster owned by this process: init, start, stop, restart, destroy. */
export class PgCluster extends PgClient {
	constructor() {
		const bin = pgBinDir();
		// Directly under the system temp dir: short socket paths, traversable by postgres.
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-pg-'));
		super({ socketDir: path.join(dir, 'sock'), bin });
		this.dir = dir;
		this.dataDir = path.join(dir, 'data');
		this.logFile = path.join(dir, 'postgres.log');
		this.pid = null;
		this.cleanupId = onCleanup(() => this.cleanupSync());
	}

	/** Creates, initialises and starts a cluster; resolves to the running PgCluster. */
	static async start() {
		const c = new PgCluster();
		try {
			await c.init();
			await c.startServer();
		} catch (e) {
			c.cleanupSync();
			throw e;
		}
		return c;
	}

	async asPostgres(binary, args, opts = {}) {
		const exe = path.join(this.bin, binary);
		if (asRoot()) return run('runuser', ['-u', 'postgres', '--', exe, ...args], { cwd: this.dir, ...opts });
		return run(exe, args, { cwd: this.dir, ...opts });
	}

	async init() {
		fs.mkdirSync(this.socketDir, { recursive: true });
		if (asRoot()) {
			const r = await run('chown', ['-R', 'postgres:postgres', this.dir]);
			if (r.code !== 0) {
				throw new Error(`cannot hand ${this.dir} to the postgres user (is there one?): ${r.stderr.trim()}`);
			}
		}
		const r = await this.asPostgres('initdb', [
			'-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
		]);
		if (r.code !== 0) throw new Error(`initdb failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
	}

	async startServer() {
		const opts = [
			"-c listen_addresses=''",
			`-k ${this.socketDir}`,
			`-p ${PG_PORT}`,
			'-c fsync=off',
			'-c synchronous_commit=off',
			'-c full_page_writes=off',
			'-c max_connections=200',
		].join(' ');
		const r = await this.asPostgres('pg_ctl', ['start', '-D', this.dataDir, '-w', '-t', '60', '-l', this.logFile, '-o', opts], {
			timeoutMs: 90000,
		});
		if (r.code !== 0) {
			let log = '';
			try {
				log = fs.readFileSync(this.logFile, 'utf8').slice(-3000);
			} catch {
				/* no log */
			}
			throw new Error(`pg_ctl start failed (${r.code}): ${(r.stderr || r.stdout).trim()}\n${log}`);
		}
		this.pid = this.readPostmasterPid();
		trackPid(this.pid, { kind: 'postgres', match: 'postgres', pgData: this.dataDir, pgBin: this.bin });
	}

	readPostmasterPid() {
		try {
			const n = parseInt(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
			return Number.isFinite(n) ? n : null;
		} catch {
			return null;
		}
	}

	/** Stops the server (the data stays): pg_ctl stop, then immediate mode, then SIGKILL. */
	async stopServer(mode = 'fast') {
		const pid = this.pid || this.readPostmasterPid();
		let r = await this.asPostgres('pg_ctl', ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '20'], { timeoutMs: 30000 });
		if (r.code !== 0 && pidAlive(pid)) {
			r = await this.asPostgres('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10'], { timeoutMs: 15000 });
		}
		if (pid && pidAlive(pid)) {
			killPid(pid, 'SIGKILL');
			for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
		}
		untrackPid(pid);
		this.pid = null;
	}

	/** Stops the server and removes the directory. */
	async destroy() {
		await this.stopServer('fast');
		cancelCleanup(this.cleanupId);
		if (process.env.CRM_TEST_KEEP !== '1') fs.rmSync(this.dir, { recursive: true, force: true });
	}

	/** Alias of destroy(): stops the server and removes the cluster's directory. */
	stop() {
		return this.destroy();
	}

	/** Synchronous last-resort cleanup (exit and signal handlers). */
	cleanupSync() {
		const pid = this.pid || this.readPostmasterPid();
		if (pid && pidAlive(pid)) {
			pgStopImmediateSync(this.bin, this.dataDir);
			if (pidAlive(pid)) killPid(pid, 'SIGKILL');
		}
		untrackPid(pid);
		this.pid = null;
		if (process.env.CRM_TEST_KEEP !== '1') {
			try {
				fs.rmSync(this.dir, { recursive: true, force: true });
			} catch {
				/* ignore */
			}
		}
	}
}

/** Starts a private throwaway cluster (the caller stops it with stop() or destroy()). */
export function startCluster() {
	return PgCluster.start();
}

let shared = null;
/**
 * The cluster shared by the whole test run. tests/run.mjs starts it once and describes it in
 * CRM_TEST_PG_SOCKET / CRM_TEST_PG_USER / CRM_TEST_PG_BIN; a test file run on its own starts
 * one for its process instead. Resolves to an object with createDatabase(name?), psql, url.
 */
export function sharedCluster() {
	if (!shared) {
		if (process.env.CRM_TEST_PG_SOCKET) {
			shared = Promise.resolve(
				new PgClient({
					socketDir: process.env.CRM_TEST_PG_SOCKET,
					user: process.env.CRM_TEST_PG_USER || 'postgres',
					bin: process.env.CRM_TEST_PG_BIN || undefined,
				}),
			);
		} else {
			shared = PgCluster.start();
		}
	}
	return shared;
}

/** Creates a fresh database on the shared cluster; resolves to its DATABASE_URL. */
export async function createDatabase(name) {
	const c = await sharedCluster();
	return c.createDatabase(name);
}

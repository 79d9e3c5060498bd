// Direct SQL against a running crm server's store, for what the API deliberately does not offer
// (setting the reserved ADMIN role, SPEC §5; inspecting rows in tests): psql for PostgreSQL (the
// server's own DATABASE_URL), the sqlite3 command-line shell for SQLite (DATA_DIR/crm.sqlite3, with
// a busy timeout so it waits for the server's writer). Resolves the output (-At / -list rows).
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pgBinDir } from './postgres.mjs';

function run(cmd, args) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
		child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} failed (${code}): ${err.trim()}`))));
	});
}

/** Runs sql (one or more statements) on srv's store; resolves stdout (rows as a|b lines). */
export function sql(srv, text) {
	if (srv.store === 'postgres') {
		return run(path.join(pgBinDir(), 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', srv.env.DATABASE_URL, '-c', text]);
	}
	const file = srv.env.SQLITE_PATH || path.join(srv.dataDir, 'crm.sqlite3');
	return run('sqlite3', ['-bail', '-cmd', '.timeout 10000', file, text]);
}

/** Gives the user with this email the reserved ADMIN role (PREMIUM entitlements, §5). */
export function makeAdmin(srv, email) {
	return sql(srv, `UPDATE users SET role = 'ADMIN' WHERE email_key = '${email.toLowerCase().replace(/'/g, "''")}'`);
}

// A throwaway nginx in front of crm nodes, for the scale-out reliability scenario: the Debian
// package's /usr/sbin/nginx run as a child process (`daemon off`) with a configuration written
// into a temporary directory. Nothing under /etc/nginx or /var is read or written and no system
// service is involved: pid file, error and access logs and every temporary path live in that
// directory, it listens on 127.0.0.1 only, and it is stopped by its pid (its workers by theirs
// if the master had to be killed).
//
// The proxy settings (upstream, failover, timeouts, headers) are those that docs/deploy.md
// recommends; PROXY_DIRECTIVES lists them so that the scenario can check that the document shows
// what was tested.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, isListening } from './ports.mjs';
import { onCleanup, cancelCleanup, trackPid, untrackPid, pidAlive, killPid, tempDir, findExecutable, sleep } from './cleanup.mjs';

/** Per-upstream-server parameters: passive health (see docs/deploy.md). */
export const SERVER_PARAMS = 'max_fails=1 fail_timeout=3s';

/**
 * The directives of the tested proxy configuration, each as written in the config (and in
 * docs/deploy.md). Order matters only for reading.
 */
export const UPSTREAM_DIRECTIVES = ['keepalive 16;', 'keepalive_timeout 20s;'];
export const SERVER_DIRECTIVES = ['server_tokens off;', 'client_max_body_size 2m;', 'large_client_header_buffers 4 40k;'];
export const PROXY_DIRECTIVES = [
	'proxy_pass http://crm;',
	'proxy_http_version 1.1;',
	'proxy_set_header Connection "";',
	'proxy_set_header Host $http_host;',
	'proxy_set_header X-Forwarded-For $remote_addr;',
	'proxy_connect_timeout 2s;',
	'proxy_send_timeout 30s;',
	'proxy_read_timeout 60s;',
	'proxy_next_upstream error timeout;',
	'proxy_next_upstream_timeout 10s;',
	'error_page 502 504 @crm_unavailable;',
];

/** Access log as one JSON object per line: what the scenario counts per upstream. */
const LOG_FORMAT =
	`log_format crm escape=json '{"t":$msec,"method":"$request_method","uri":"$uri","status":$status,` +
	`"upstream":"$upstream_addr","upstreamStatus":"$upstream_status","requestTime":$request_time,` +
	`"upstreamTime":"$upstream_response_time","requestId":"$upstream_http_x_request_id","client":"$remote_addr"}';`;

/** The nginx.conf text for a proxy on 127.0.0.1:port in front of the given upstream ports. */
export function nginxConfig({ dir, port, upstreams }) {
	const p = (f) => path.join(dir, f);
	const ind = (lines, n) => lines.map((l) => '\t'.repeat(n) + l).join('\n');
	return `# Written by tests/support/nginx.mjs for one test run; see docs/deploy.md.
worker_processes 1;
pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;

events {
	worker_connections 1024;
}

http {
	${LOG_FORMAT}
	access_log ${p('access.log')} crm;
	client_body_temp_path ${p('tmp/body')};
	proxy_temp_path ${p('tmp/proxy')};
	fastcgi_temp_path ${p('tmp/fastcgi')};
	uwsgi_temp_path ${p('tmp/uwsgi')};
	scgi_temp_path ${p('tmp/scgi')};

	upstream crm {
${ind(upstreams.map((u) => `server 127.0.0.1:${u} ${SERVER_PARAMS};`), 2)}
${ind(UPSTREAM_DIRECTIVES, 2)}
	}

	server {
		listen 127.0.0.1:${port};
${ind(SERVER_DIRECTIVES, 2)}

		location / {
${ind(PROXY_DIRECTIVES, 3)}
		}

		# Per-node series: scrape each node directly, not through the balancer.
		location = /api/v1/metrics {
			return 404;
		}

		# nginx's own 502/504 (no node answered): the API's error envelope. The request may or
		# may not have been applied; crm's own 5xx answers pass through unchanged.
		location @crm_unavailable {
			default_type "application/json; charset=utf-8";
			add_header Cache-Control no-store always;
			return 502 '{"message":"No API node answered; the request may or may not have been applied.","code":"upstream_error","requestId":"$request_id"}';
		}
	}
}
`;
}

/**
 * Starts nginx on 127.0.0.1 (a free port unless given) proxying to 127.0.0.1:<upstreams>.
 * Resolves {url, port, pid, dir, config, accessLog(), errorLog(), stop()}; accessLog() parses
 * the JSON lines written so far.
 */
export async function startNginx({ upstreams, port: wanted } = {}) {
	const bin = findExecutable('/usr/sbin/nginx') || findExecutable('nginx');
	if (!bin) throw new Error('nginx not found: install the Debian package nginx (scripts/deps.sh reliability)');
	let lastErr;
	for (let attempt = 0; attempt < 3; attempt++) {
		const port = wanted || (await freePort());
		const dir = tempDir('crm-nginx-');
		// Run as root, the master hands requests to workers running as nobody, which need to
		// reach the temporary paths inside this directory (nginx creates them for that user).
		fs.chmodSync(dir, 0o711);
		fs.mkdirSync(path.join(dir, 'tmp'), { mode: 0o711 });
		const config = nginxConfig({ dir, port, upstreams });
		const confPath = path.join(dir, 'nginx.conf');
		fs.writeFileSync(confPath, config);
		const proc = spawn(bin, ['-p', dir, '-c', confPath, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
		let stderr = '';
		proc.stderr.setEncoding('utf8');
		proc.stderr.on('data', (d) => (stderr += d));
		let exitInfo = null;
		const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve((exitInfo = { code, signal }))));
		proc.on('error', (e) => (exitInfo = { code: null, signal: null, error: e.message }));
		trackPid(proc.pid, { kind: 'nginx', match: dir });
		// Synchronous last resort: SIGKILL the workers, then the master, by pid.
		const cleanupId = onCleanup(() => {
			if (exitInfo || !pidAlive(proc.pid)) return;
			for (const w of workerPids(proc.pid)) killPid(w, 'SIGKILL');
			killPid(proc.pid, 'SIGKILL');
		});
		const errorLog = () => {
			try {
				return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
			} catch {
				return '';
			}
		};
		const stop = async (graceMs = 5000) => {
			if (!exitInfo) {
				const workers = workerPids(proc.pid);
				killPid(proc.pid, 'SIGTERM'); // fast shutdown: the master stops its workers
				const t = setTimeout(() => {
					if (exitInfo) return;
					for (const w of workers) killPid(w, 'SIGKILL');
					killPid(proc.pid, 'SIGKILL');
				}, graceMs);
				await exited;
				clearTimeout(t);
				for (let i = 0; i < 40 && workers.some(pidAlive); i++) await sleep(50);
			}
			cancelCleanup(cleanupId);
			untrackPid(proc.pid);
			return exitInfo;
		};
		const t0 = Date.now();
		while (!exitInfo && Date.now() - t0 < 10000 && !(await isListening(port, '127.0.0.1', 500))) await sleep(50);
		if (!exitInfo && (await isListening(port, '127.0.0.1', 500))) {
			return {
				url: `http://127.0.0.1:${port}`,
				port,
				pid: proc.pid,
				dir,
				config,
				workerPids: () => workerPids(proc.pid),
				accessLog: () => readAccessLog(path.join(dir, 'access.log')),
				errorLog,
				stderr: () => stderr,
				stop,
			};
		}
		await stop();
		lastErr = new Error(`nginx did not start on 127.0.0.1:${port} (${JSON.stringify(exitInfo)}):\n${stderr}\n${errorLog()}`);
		if (wanted || !/Address already in use/.test(stderr + errorLog())) break;
	}
	throw lastErr;
}

/** The worker processes of an nginx master (its direct children). */
function workerPids(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

function readAccessLog(file) {
	let text = '';
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch {
		return [];
	}
	const out = [];
	for (const line of text.split('\n')) {
		if (!line) continue;
		try {
			out.push(JSON.parse(line));
		} catch {
			/* a line being written */
		}
	}
	return out;
}

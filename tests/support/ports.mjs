// Free loopback ports: listen on 127.0.0.1:0, read the port the kernel chose, close.
import net from 'node:net';

const handedOut = new Set();

/** Returns a TCP port on 127.0.0.1 that was free a moment ago (never the same twice per process). */
export async function freePort() {
	for (let i = 0; i < 20; i++) {
		const port = await new Promise((resolve, reject) => {
			const srv = net.createServer();
			srv.unref();
			srv.on('error', reject);
			srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
				const { port: p } = srv.address();
				srv.close(() => resolve(p));
			});
		});
		if (!handedOut.has(port)) {
			handedOut.add(port);
			return port;
		}
	}
	throw new Error('freePort: could not find an unused loopback port');
}

/** A loopback port with nothing listening on it (for "unreachable service" tests). */
export const closedPort = freePort;

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port, host = '127.0.0.1', timeoutMs = 1000) {
	return new Promise((resolve) => {
		const sock = net.connect({ host, port });
		const done = (v) => {
			sock.destroy();
			resolve(v);
		};
		sock.setTimeout(timeoutMs, () => done(false));
		sock.on('connect', () => done(true));
		sock.on('error', () => done(false));
	});
}

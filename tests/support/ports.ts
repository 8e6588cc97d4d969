// Free ports for test servers: one place that picks them, always on 127.0.0.1.
import type http from 'node:http';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks; we release it for the caller to bind). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** Starts `server` on a port the OS picks on 127.0.0.1 (no race with other tests); its base URL. */
export function listenLocal(server: http.Server | net.Server): Promise<string> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () =>
			resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`)
		);
	});
}

// `hearth serve`: the production HTTP server around the adapter-node handler. It tells the
// handler the socket's real protocol (adapter-node otherwise assumes https when ORIGIN is unset),
// binds loopback by default, and shuts down gracefully on SIGTERM/SIGINT.
import http from 'node:http';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getConfig } from '$lib/server/config';
import { SHUTDOWN_DONE } from '$lib/server/runtime';

const PROTOCOL_HEADER = 'x-hearth-socket-protocol';
const SHUTDOWN_GRACE_MS = 10_000;
const OUTER_BODY_LIMIT = '4M';

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

export async function serve(buildDir: string): Promise<void> {
	const config = getConfig();
	// adapter-node reads ORIGIN itself: hand it the validated value (an empty one would crash it).
	if (config.origin) process.env.ORIGIN = config.origin;
	else delete process.env.ORIGIN;
	const ownProtocolHeader = !config.origin && !process.env.PROTOCOL_HEADER;
	if (ownProtocolHeader) process.env.PROTOCOL_HEADER = PROTOCOL_HEADER;
	process.env.BODY_SIZE_LIMIT ??= OUTER_BODY_LIMIT;

	const handlerUrl = pathToFileURL(path.join(buildDir, 'handler.js')).href;
	const { handler } = (await import(/* @vite-ignore */ handlerUrl)) as { handler: NodeHandler };

	const server = http.createServer((req, res) => {
		if (ownProtocolHeader) {
			req.headers[PROTOCOL_HEADER] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
		}
		handler(req, res, () => {
			res.statusCode = 404;
			res.end('Not found');
		});
	});
	server.keepAliveTimeout = 65_000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
	process.stdout.write(`hearth: listening on http://${shown}:${config.port}\n`);

	let stopping = false;
	const stop = (signal: NodeJS.Signals) => {
		if (stopping) return;
		stopping = true;
		process.stdout.write(`hearth: ${signal} received, shutting down\n`);
		process.emit('sveltekit:shutdown' as 'exit', signal as unknown as number);
		const runtimeDone = (globalThis as Record<symbol, unknown>)[SHUTDOWN_DONE] as
			Promise<void> | undefined;
		// Running replies are being ended (text kept); wait for that, but never past the grace period.
		const finish = () =>
			void Promise.race([
				Promise.resolve(runtimeDone),
				new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))
			]).finally(() => process.exit(0));
		server.close(finish);
		server.closeIdleConnections();
		setTimeout(() => {
			server.closeAllConnections();
			finish();
		}, SHUTDOWN_GRACE_MS).unref();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

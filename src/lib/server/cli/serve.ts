// `hearth serve`: the production HTTP server around the adapter-node handler. It tells the
// handler the socket's real protocol (adapter-node otherwise assumes https when ORIGIN is unset),
// binds loopback by default, times out idle and slow connections, and shuts down gracefully on
// SIGTERM/SIGINT.
import http from 'node:http';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getConfig } from '$lib/server/config';
import { SHUTDOWN_DONE } from '$lib/server/shutdown';
import { MAX_IMPORT_UPLOAD_BYTES } from '$lib/server/imports/limits';

const PROTOCOL_HEADER = 'x-hearth-socket-protocol';
const SHUTDOWN_GRACE_MS = 10_000;
/**
 * adapter-node's own cap on every body: the largest any route takes (an import upload, streamed
 * to disk). Each route's real limit is applied per request in hooks.server.ts, as bytes arrive.
 */
const OUTER_BODY_LIMIT = String(MAX_IMPORT_UPLOAD_BYTES + 2 * 1024 * 1024);
/** A client must send its request headers within this (also closes sockets that send nothing). */
const HEADERS_TIMEOUT_MS = 20_000;
/** The whole request, body included, must arrive within this: slow uploads on a phone still fit. */
const REQUEST_TIMEOUT_MS = 300_000;
/**
 * A socket with no traffic either way for this long is closed, e.g. a client that stopped reading
 * a response. SSE streams write a keepalive every 15 s; the slowest single answer (an image, at
 * most 120 s) stays inside it too.
 */
const SOCKET_IDLE_TIMEOUT_MS = 180_000;
/** Between requests; longer than the 60 s of common proxies, so that the proxy closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often Node checks the header and request deadlines. */
const TIMEOUT_CHECK_INTERVAL_MS = 5_000;

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

	const timings = config.testTimings;
	const headersTimeout = timings.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
	const server = http.createServer(
		{
			headersTimeout,
			requestTimeout: Math.max(headersTimeout, timings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
			connectionsCheckingInterval: timings.timeoutCheckIntervalMs ?? TIMEOUT_CHECK_INTERVAL_MS
		},
		(req, res) => {
			if (ownProtocolHeader) {
				req.headers[PROTOCOL_HEADER] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
			}
			handler(req, res, () => {
				res.statusCode = 404;
				res.end('Not found');
			});
		}
	);
	server.timeout = timings.socketIdleTimeoutMs ?? SOCKET_IDLE_TIMEOUT_MS;
	server.keepAliveTimeout = timings.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;

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

// Runs the built Hearth server (`hearth serve`) as a child process for integration tests, with
// its own DATA_DIR and port, and signs users in over the JSON API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSse, type SseEvent } from '$lib/client/sse';
import { freePort } from './ports';

export interface HearthServer {
	url: string;
	dataDir: string;
	process: ChildProcess;
	log(): string;
	restart(): Promise<void>;
	kill(signal?: NodeJS.Signals): Promise<void>;
	stop(): Promise<void>;
}

/** `launcher` prefixes the command, e.g. `['taskset', '-c', '0']` to pin the server to one core. */
export async function startHearth(
	env: Record<string, string> = {},
	dataDir?: string,
	launcher: string[] = []
): Promise<HearthServer> {
	if (!fs.existsSync('build/cli/main.js'))
		throw new Error('run `npm run build` before the integration tests');
	const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-it-'));
	const port = env.PORT ? Number(env.PORT) : await freePort();
	const url = `http://127.0.0.1:${port}`;
	let output = '';
	const server: HearthServer = {
		url,
		dataDir: dir,
		process: null as unknown as ChildProcess,
		log: () => output,
		async restart() {
			await launch();
		},
		async kill(signal = 'SIGKILL') {
			const child = server.process;
			if (child.exitCode !== null || child.signalCode !== null) return;
			const exited = new Promise((r) => child.once('exit', r));
			child.kill(signal);
			await exited;
		},
		async stop() {
			await server.kill('SIGTERM');
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
	async function launch() {
		const [command, ...args] = [...launcher, process.execPath, 'bin/hearth.js', 'serve'];
		const child = spawn(command!, args, {
			env: {
				...process.env,
				DATA_DIR: dir,
				DATABASE_URL: '',
				HOST: '127.0.0.1',
				PORT: String(port),
				ORIGIN: '',
				LOG_LEVEL: 'warn',
				...env
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		child.stdout!.on('data', (d) => (output = (output + d).slice(-50_000)));
		child.stderr!.on('data', (d) => (output = (output + d).slice(-50_000)));
		server.process = child;
		const deadline = Date.now() + 30_000;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`hearth exited:\n${output}`);
			try {
				if ((await fetch(`${url}/healthz`)).ok) return;
			} catch {
				// not yet listening
			}
			if (Date.now() > deadline) throw new Error(`hearth did not start:\n${output}`);
			await new Promise((r) => setTimeout(r, 50));
		}
	}
	await launch();
	return server;
}

/** Runs the built `hearth` CLI against a data folder. */
export function runCli(dataDir: string, args: string[], input?: string) {
	const result = spawnSync(process.execPath, ['bin/hearth.js', ...args], {
		input,
		encoding: 'utf8',
		env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' }
	});
	return { code: result.status, out: result.stdout, err: result.stderr };
}

export function addUser(server: HearthServer, username: string, password: string, admin = false) {
	const args = ['user', 'add', username, ...(admin ? ['--admin'] : []), '--password-stdin'];
	const result = runCli(server.dataDir, args, password);
	if (result.code !== 0) throw new Error(result.err);
}

export interface SignInOptions {
	/** Sent with every request, e.g. a client address header the server trusts. */
	headers?: Record<string, string>;
	/** The fetch every call goes through (e.g. one that counts answers). */
	fetch?: typeof fetch;
}

/** A signed-in API client: JSON helpers that carry the session cookie and our Origin. */
export async function signIn(
	server: HearthServer,
	username: string,
	password: string,
	options: SignInOptions = {}
) {
	const send = options.fetch ?? fetch;
	const login = await send(`${server.url}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', origin: server.url, ...options.headers },
		body: JSON.stringify({ username, password })
	});
	if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
	const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
	const call = (method: string, pathname: string, body?: unknown, init: RequestInit = {}) =>
		send(`${server.url}${pathname}`, {
			method,
			...init,
			headers: {
				cookie,
				origin: server.url,
				...options.headers,
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
				...(init.headers ?? {})
			},
			body: body === undefined ? undefined : JSON.stringify(body)
		});
	return {
		cookie,
		call,
		async json<T = Record<string, unknown>>(
			method: string,
			pathname: string,
			body?: unknown
		): Promise<{ status: number; body: T }> {
			const res = await call(method, pathname, body);
			return { status: res.status, body: (await res.json()) as T };
		},
		/** Opens the job's event stream; the caller iterates and may abort. */
		async events(
			jobId: number,
			lastEventId?: string,
			signal?: AbortSignal
		): Promise<AsyncGenerator<SseEvent>> {
			const res = await call('GET', `/api/jobs/${jobId}/events`, undefined, {
				headers: lastEventId ? { 'last-event-id': lastEventId } : {},
				signal
			});
			if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
			return parseSse(res.body);
		}
	};
}

export type ApiClient = Awaited<ReturnType<typeof signIn>>;

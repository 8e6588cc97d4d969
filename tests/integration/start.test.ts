// What `hearth serve` loads before it is ready: libraries an idle server does not need
// (docs/ARCHITECTURE.md, "What loads at start") are imported at their first use instead. A
// module-loader hook in the server process writes down every module it loads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser, signIn, startHearth, type HearthServer } from '../support/hearth-server';

/** Loaded on demand: the guarded fetch's HTTP client, the password hasher, the QR encoder. */
const LAZY = ['undici', '@node-rs/argon2', 'qrcode'];

let server: HearthServer;
let dir: string;
let loadedLog: string;

const loaded = () => fs.readFileSync(loadedLog, 'utf8').split('\n');
const hasLoaded = (pkg: string) => loaded().some((url) => url.includes(`/node_modules/${pkg}/`));

beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-start-'));
	loadedLog = path.join(dir, 'loaded.txt');
	fs.writeFileSync(loadedLog, '');
	const hooks = path.join(dir, 'hooks.mjs');
	fs.writeFileSync(
		hooks,
		`import fs from 'node:fs';
export async function load(url, context, next) {
	fs.appendFileSync(${JSON.stringify(loadedLog)}, url + '\\n');
	return next(url, context);
}
`
	);
	const register = path.join(dir, 'register.mjs');
	fs.writeFileSync(
		register,
		`import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`
	);
	server = await startHearth({ NODE_OPTIONS: `--import ${pathToFileURL(register).href}` });
});
afterAll(async () => {
	await server?.stop();
	fs.rmSync(dir, { recursive: true, force: true });
});

it('a ready, idle server has not loaded what only later requests need', () => {
	// The hook sees the server's external packages (pino is needed at start).
	expect(hasLoaded('pino')).toBe(true);
	for (const pkg of LAZY) expect(hasLoaded(pkg), pkg).toBe(false);
});

it('the password hasher loads with the first sign-in', async () => {
	addUser(server, 'starter', 'starter-password');
	await signIn(server, 'starter', 'starter-password');
	expect(hasLoaded('@node-rs/argon2')).toBe(true);
});

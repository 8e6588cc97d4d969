// `npm start`: builds when the build is missing or older than the sources, then serves.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'build/cli/main.js');
const SOURCES = [
	'src',
	'migrations',
	'static',
	'package.json',
	'package-lock.json',
	'svelte.config.js',
	'vite.config.ts',
	'vite.cli.config.ts'
];

function newestMtime(target) {
	if (!existsSync(target)) return 0;
	const stat = statSync(target);
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = stat.mtimeMs;
	for (const entry of readdirSync(target))
		newest = Math.max(newest, newestMtime(path.join(target, entry)));
	return newest;
}

function isStale() {
	if (!existsSync(stamp) || !existsSync(path.join(root, 'build/handler.js'))) return true;
	if (!existsSync(path.join(root, 'src'))) return false; // a deployed build without sources
	const built = statSync(stamp).mtimeMs;
	return SOURCES.some((s) => newestMtime(path.join(root, s)) > built);
}

// A build prints hundreds of lines (chunk sizes, the adapter's notes on bundled libraries):
// they are kept and shown only when the build fails.
const BUILD_OUTPUT_MAX_BYTES = 64 * 1024 * 1024;

if (isStale()) {
	process.stdout.write('hearth: building (first start or sources changed)…\n');
	const started = performance.now();
	const result = spawnSync('npm', ['run', '--silent', 'build'], {
		cwd: root,
		stdio: ['ignore', 'pipe', 'pipe'],
		maxBuffer: BUILD_OUTPUT_MAX_BYTES
	});
	if (result.status !== 0) {
		process.stdout.write(result.stdout ?? '');
		process.stderr.write(result.stderr ?? '');
		if (result.error) process.stderr.write(`${result.error.message}\n`);
		process.stderr.write('hearth: the build failed (its output is above)\n');
		process.exit(result.status ?? 1);
	}
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	process.stdout.write(`hearth: built in ${seconds} s\n`);
}
process.argv.splice(2, process.argv.length, 'serve');
await import('../bin/hearth.js');

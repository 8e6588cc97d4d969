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

if (isStale()) {
	process.stdout.write('hearth: building (first start or sources changed)…\n');
	const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}
process.argv.splice(2, process.argv.length, 'serve');
await import('../bin/hearth.js');

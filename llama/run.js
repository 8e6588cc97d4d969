#!/usr/bin/env node
// `npm run llama`: starts llama-server beside Hearth, on loopback, and prints where it listens. By
// default in router mode over the models folder (LLAMA_MODELS_DIR, else llama/models/) with
// presets.ini, at most LLAMA_MODELS_MAX models in memory (1): Hearth lists, loads and downloads
// models there. With LLAMA_MODEL (or LLAMA_PRESET) it serves that one file as before. Builds
// llama-server from the pinned source first when no LLAMA_SERVER binary is given and none is on PATH.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const env = process.env;
const presets = JSON.parse(readFileSync(path.join(here, 'presets.json'), 'utf8'));

function fail(message) {
	process.stderr.write(`llama: ${message}\n`);
	process.exit(1);
}

const preset = env.LLAMA_PRESET ? presets[env.LLAMA_PRESET] : undefined;
if (env.LLAMA_PRESET && !preset)
	fail(`unknown LLAMA_PRESET "${env.LLAMA_PRESET}"; one of: ${Object.keys(presets).join(', ')}`);
const model = env.LLAMA_MODEL || (preset && path.join(here, 'models', preset.file));
if (model && !existsSync(model)) {
	const fetch = preset
		? `\n  mkdir -p llama/models && curl -L --fail -o ${path.relative(process.cwd(), model)} ${preset.url}`
		: '';
	fail(`no model file at ${model}${fetch ? `; fetch it with:${fetch}` : ''}`);
}
const modelsDir = path.resolve(env.LLAMA_MODELS_DIR || path.join(here, 'models'));
if (!model) mkdirSync(modelsDir, { recursive: true });

function findServer() {
	if (env.LLAMA_SERVER) return env.LLAMA_SERVER;
	const onPath = spawnSync('sh', ['-c', 'command -v llama-server'], {
		encoding: 'utf8'
	}).stdout.trim();
	if (onPath) return onPath;
	const out = execFileSync('bash', [path.join(here, 'build-server.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	});
	return out.trim().split('\n').at(-1);
}

const url = new URL(env.LLAMA_URL || 'http://127.0.0.1:8080');
const host = env.LLAMA_HOST || url.hostname.replace(/^\[|\]$/g, '');
const port = url.port || '8080';
const parallel = env.LLAMA_PARALLEL || '1';
const context = env.LLAMA_CTX || String(preset?.context ?? 4096);
const modelArgs = model
	? ['-m', model, '-c', String(Number(context) * Number(parallel))]
	: [
			'--models-dir',
			modelsDir,
			'--models-preset',
			path.join(here, 'presets.ini'),
			'--models-max',
			env.LLAMA_MODELS_MAX || '1',
			// Without LLAMA_CTX each model takes its context size from presets.ini.
			...(env.LLAMA_CTX ? ['-c', String(Number(context) * Number(parallel))] : [])
		];
const args = [
	...modelArgs,
	'--host',
	host,
	'--port',
	port,
	'-np',
	parallel,
	'-t',
	env.LLAMA_THREADS || String(os.availableParallelism()),
	'--jinja',
	...(env.LLAMA_API_KEY ? ['--api-key', env.LLAMA_API_KEY] : [])
];
const server = findServer();
process.stdout.write(
	model
		? `llama: serving ${path.basename(model)} on http://${host}:${port} (${parallel} slot(s), ${context} tokens each)\n`
		: `llama: serving the models in ${modelsDir} on http://${host}:${port} (router mode, ${env.LLAMA_MODELS_MAX || '1'} loaded at a time); add one from Hearth's Admin → Local models\n`
);
const child = spawn(server, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

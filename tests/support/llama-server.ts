// Starts a real llama-server (built from source by llama/build-server.sh, cached) on 127.0.0.1 and
// a free port, serving the generated test model; stops it after the suite.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTestModel, type TestModelOptions } from '../../llama/test-model';
import { freePort } from './ports';

export const TEST_MODEL_ALIAS = 'hearth-test';

export interface LlamaServer {
	url: string;
	process: ChildProcess;
	log(): string;
	stop(): Promise<void>;
}

let binary: string | null = null;

/** The cached llama-server binary (building it on first use takes minutes). */
export function llamaServerBinary(): string {
	if (binary) return binary;
	const out = execFileSync('bash', [path.resolve('llama/build-server.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
		timeout: 30 * 60_000
	});
	binary = out.trim().split('\n').at(-1)!;
	return binary;
}

export interface LlamaServerOptions {
	parallel?: number;
	contextSize?: number;
	model?: TestModelOptions;
	apiKey?: string;
	/** More llama-server flags, e.g. --ignore-eos for a reply that cannot end by itself. */
	extraArgs?: string[];
	/** Environment for llama-server (it reads LLAMA_ARG_* and LLAMA_API_KEY); flags win. */
	env?: Record<string, string>;
	/** Router mode over this folder (the caller's; not removed at stop) instead of one model. */
	modelsDir?: string;
	/** Router mode: models in memory at once. */
	modelsMax?: number;
	/** A fixed port (a restart where the last one listened) instead of a free one. */
	port?: number;
}

export async function startLlamaServer(options: LlamaServerOptions = {}): Promise<LlamaServer> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-llama-'));
	const modelPath = path.join(dir, 'model.gguf');
	if (!options.modelsDir) fs.writeFileSync(modelPath, generateTestModel(options.model));
	const port = options.port ?? (await freePort());
	const parallel = options.parallel ?? 1;
	const modelArgs = options.modelsDir
		? ['--models-dir', options.modelsDir, '--models-max', String(options.modelsMax ?? 1)]
		: ['-m', modelPath, '--alias', TEST_MODEL_ALIAS];
	const args = [
		...modelArgs,
		'--host',
		'127.0.0.1',
		'--port',
		String(port),
		'-c',
		String((options.contextSize ?? 1024) * parallel),
		'-np',
		String(parallel),
		'-t',
		'1',
		'--jinja',
		'--no-webui',
		...(options.apiKey ? ['--api-key', options.apiKey] : []),
		...(options.extraArgs ?? [])
	];
	const child = spawn(llamaServerBinary(), args, {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, ...options.env }
	});
	let output = '';
	child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
	child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null)
			throw new Error(`llama-server exited (${child.exitCode}):\n${output}`);
		try {
			if ((await fetch(`${url}/health`)).ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`llama-server did not become healthy:\n${output}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		url,
		process: child,
		log: () => output,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise((r) => child.once('exit', r));
				child.kill('SIGTERM');
				await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			}
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}

// Slow enough (≈140 tokens/s) to act mid-reply; --ignore-eos: a reply always runs to maxTokens.
export const SLOW_MODEL = { embedding: 512, blocks: 8, heads: 8, feedForward: 1024 };

/** llama-server with the slow test model, for tests that act while a reply is being written. */
export function startSlowLlamaServer(
	options: { parallel?: number; contextSize?: number; port?: number } = {}
) {
	return startLlamaServer({
		port: options.port,
		parallel: options.parallel ?? 1,
		contextSize: options.contextSize ?? 4096,
		model: SLOW_MODEL,
		extraArgs: ['--ignore-eos']
	});
}

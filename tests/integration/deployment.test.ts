// The deployment files agree with the app: docker-compose.yml, the Dockerfile, the env templates,
// the tunnel template and the Grafana dashboard are read and checked against what Hearth reads
// and serves; then llama-server and Hearth are started with the compose file's own environment.
import fs from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '$lib/server/config';
import { startLlamaServer } from '../support/llama-server';
import { signIn, startHearth, addUser } from '../support/hearth-server';
import { newConversation, send, settledReply } from '../support/chat';

interface Service {
	image?: string;
	build?: unknown;
	profiles?: string[];
	environment?: Record<string, string>;
	volumes?: string[];
	ports?: string[];
	networks?: string[] | Record<string, { aliases?: string[] }>;
	command?: string;
	stop_grace_period?: string;
}

const compose = parse(fs.readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
	services: Record<string, Service>;
	volumes: Record<string, unknown>;
	networks: Record<string, unknown>;
};
const services = compose.services;
const dockerfile = fs.readFileSync('Dockerfile', 'utf8');

/** Docker's `${NAME:-default}` as compose would resolve it with nothing set. */
const defaultOf = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const variablesIn = (value: string) => [...value.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!);

function envKeys(file: string): string[] {
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.map((line) => /^([A-Z_]+)=/.exec(line)?.[1])
		.filter((k): k is string => Boolean(k));
}

/** The Dockerfile's stages: their FROM line and instructions (continuations joined). */
function stages() {
	const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
	const result: { from: string; instructions: string[] }[] = [];
	for (const line of lines) {
		if (/^FROM /.test(line)) result.push({ from: line, instructions: [] });
		else if (/^[A-Z]+ /.test(line)) result.at(-1)?.instructions.push(line);
	}
	return result;
}

describe('docker-compose.yml', () => {
	it('has the app, llama.cpp (CPU, or GPU by profile), the tunnel and optional PostgreSQL', () => {
		expect(Object.keys(services).sort()).toEqual(
			['hearth', 'llama', 'llama-gpu', 'postgres', 'setup', 'tunnel'].sort()
		);
		expect(services.hearth!.profiles).toBeUndefined();
		expect(services.llama!.profiles).toEqual(['cpu']);
		expect(services['llama-gpu']!.profiles).toEqual(['gpu']);
		expect(services.tunnel!.profiles).toEqual(['tunnel']);
		expect(services.postgres!.profiles).toEqual(['postgres']);
		expect(services.setup!.profiles).toEqual(['setup']);
		expect(services.llama!.image).toMatch(/^ghcr\.io\/ggml-org\/llama\.cpp:server$/);
		expect(services['llama-gpu']!.image).toMatch(/:server-cuda$/);
		expect(services.tunnel!.image).toMatch(/^cloudflare\/cloudflared:/);
		expect(services.tunnel!.environment).toHaveProperty('TUNNEL_TOKEN');
		expect(services.tunnel!.command).toMatch(/tunnel .*run/);
	});

	it('publishes no port except the opt-in setup port on localhost', () => {
		for (const [name, service] of Object.entries(services)) {
			if (name === 'setup') continue;
			expect(service.ports, name).toBeUndefined();
		}
		expect(services.setup!.ports!.map(defaultOf)).toEqual(['127.0.0.1:3000:3000']);
		expect(services.setup!.command).toContain(
			`tcp-connect:hearth:${services.hearth!.environment!.PORT}`
		);
	});

	it("gives Hearth only variables it reads, in agreement with llama's service and the image", () => {
		const env = services.hearth!.environment!;
		for (const key of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(key);
		expect([...CONFIG_VARIABLES].sort()).toEqual(Object.keys(env).sort());
		// Data in the volume, listening on the compose network, llama by service name and port.
		const dataVolume = services.hearth!.volumes!.find((v) => v.endsWith(`:${env.DATA_DIR}`));
		expect(dataVolume).toBe('hearth-data:/data');
		expect(env.HOST).toBe('0.0.0.0');
		const llamaEnv = services.llama!.environment!;
		expect(env.LLAMA_URL).toBe(`http://llama:${llamaEnv.LLAMA_ARG_PORT}`);
		expect(llamaEnv.LLAMA_ARG_HOST).toBe('0.0.0.0');
		// One shared API key variable on both sides, and the GPU variant answers to "llama" too.
		expect(variablesIn(env.LLAMA_API_KEY!)).toEqual(['LLAMA_API_KEY']);
		expect(variablesIn(llamaEnv.LLAMA_API_KEY!)).toEqual(['LLAMA_API_KEY']);
		const gpu = services['llama-gpu']!;
		expect(gpu.environment).toMatchObject(llamaEnv);
		expect((gpu.networks as Record<string, { aliases: string[] }>).hearth!.aliases).toContain(
			'llama'
		);
		expect(defaultOf(env.TRUST_PROXY_HEADER!)).toBe('CF-Connecting-IP');
		expect(services.hearth!.stop_grace_period).toBeDefined();
		// The image agrees: same data folder, port and volume.
		expect(dockerfile).toMatch(new RegExp(`DATA_DIR=${env.DATA_DIR}\\b`));
		expect(dockerfile).toMatch(new RegExp(`PORT=${env.PORT}\\b`));
		expect(dockerfile).toMatch(new RegExp(`^VOLUME ${env.DATA_DIR}$`, 'm'));
		expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${env.PORT}$`, 'm'));
	});

	it('declares every named volume and network it uses', () => {
		for (const [name, service] of Object.entries(services)) {
			for (const volume of service.volumes ?? []) {
				const source = volume.split(':')[0]!;
				if (!source.startsWith('.') && !source.startsWith('/'))
					expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
			}
			const networks = Array.isArray(service.networks)
				? service.networks
				: Object.keys(service.networks ?? {});
			for (const network of networks) expect(compose.networks).toHaveProperty(network);
		}
	});

	it('env templates name exactly the variables the app and the compose file read', () => {
		expect(envKeys('.env.example').sort()).toEqual([...CONFIG_VARIABLES].sort());
		const composeVariables = new Set(
			variablesIn(fs.readFileSync('docker-compose.yml', 'utf8')).filter(
				(v) => v !== 'HEARTH_IMAGE' && v !== 'SETUP_PORT'
			)
		);
		const template = new Set(envKeys('compose.env.example'));
		for (const v of composeVariables) expect(template, v).toContain(v);
		expect(template).toContain('COMPOSE_PROFILES');
	});
});

describe('Dockerfile', () => {
	it('builds with the release script in one stage and runs as non-root with a health check in the other', () => {
		const [build, run] = stages();
		expect(stages()).toHaveLength(2);
		expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24(\.\d+\.\d+)?-[a-z]+-slim$/m);
		expect(build!.from).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/);
		expect(build!.instructions).toContain('RUN npm ci --no-audit --no-fund');
		expect(build!.instructions).toContain('RUN bash scripts/release.sh /release');
		expect(run!.from).toBe('FROM ${NODE_IMAGE}');
		expect(run!.instructions).toContain('COPY --from=build --chown=root:root /release ./');
		expect(run!.instructions).toContain('USER node');
		expect(run!.instructions.find((i) => i.startsWith('HEALTHCHECK'))).toMatch(
			/127\.0\.0\.1:3000\/healthz/
		);
		expect(run!.instructions).toContain('STOPSIGNAL SIGTERM');
		expect(run!.instructions.at(-1)).toBe('CMD ["node", "/app/bin/hearth.js", "serve"]');
		for (const key of /ENV ([^\n]+)/
			.exec(run!.instructions.join('\n'))![1]!
			.match(/[A-Z_]+(?==)/g)!)
			if (key !== 'NODE_ENV') expect(CONFIG_VARIABLES).toContain(key);
		// The release script is what CI runs under Node 24 and serves from (node24-smoke.sh).
		expect(fs.readFileSync('scripts/node24-smoke.sh', 'utf8')).toMatch(/scripts\/release\.sh/);
		for (const ignored of ['node_modules', 'build', 'data', '.env', '.git'])
			expect(fs.readFileSync('.dockerignore', 'utf8').split('\n')).toContain(ignored);
	});
});

describe('tunnel and dashboards', () => {
	it('the tunnel template sends the hostname to Hearth and everything else to a 404', () => {
		const config = parse(fs.readFileSync('tunnel/config.yml', 'utf8')) as {
			ingress: { hostname?: string; service: string }[];
		};
		const port = services.hearth!.environment!.PORT;
		expect(config.ingress[0]).toMatchObject({ service: `http://hearth:${port}` });
		expect(config.ingress.at(-1)).toEqual({ service: 'http_status:404' });
	});

	it('the Grafana dashboard only queries metrics Hearth exports', () => {
		const dashboard = JSON.parse(fs.readFileSync('ops/grafana-dashboard.json', 'utf8')) as {
			panels: { targets: { expr: string }[] }[];
		};
		const source = fs.readFileSync('src/lib/server/metrics.ts', 'utf8');
		const exported = new Set([...source.matchAll(/name: '([a-z_]+)'/g)].map((m) => m[1]!));
		const used = dashboard.panels.flatMap((p) =>
			p.targets.flatMap((t) =>
				[...t.expr.matchAll(/\b((?:hearth|process)_[a-z_]+)/g)].map((m) => m[1]!)
			)
		);
		expect(used.length).toBeGreaterThan(10);
		for (const name of used) {
			const base = name.replace(/_(bucket|sum|count)$/, '');
			if (name.startsWith('process_')) continue; // prom-client's default process metrics
			expect(exported, name).toContain(base);
		}
	});
});

describe('the compose environment, for real', () => {
	it('llama-server started from the llama service environment serves Hearth started from the hearth service environment', async () => {
		const apiKey = 'compose-shared-key-0123456789abcdef';
		// As compose would pass it, minus the models folder (the test's model is given with -m) and
		// the bind address; router mode itself is tested in local-models.test.ts.
		const llamaEnv = Object.fromEntries(
			Object.entries(services.llama!.environment!)
				.filter(([k]) => !k.startsWith('LLAMA_ARG_MODELS_') && k !== 'LLAMA_ARG_HOST')
				.map(([k, v]) => [k, defaultOf(v)])
		);
		const llama = await startLlamaServer({ env: { ...llamaEnv, LLAMA_API_KEY: apiKey } });
		const unauthorised = await fetch(`${llama.url}/v1/chat/completions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 })
		});
		expect(unauthorised.status).toBe(401);
		// As compose would pass it, minus the container's paths and bind address (a test's own).
		const hearthEnv = Object.fromEntries(
			Object.entries(services.hearth!.environment!)
				.filter(([k]) => !['DATA_DIR', 'HOST', 'PORT', 'LLAMA_MODELS_DIR'].includes(k))
				.map(([k, v]) => [k, defaultOf(v)])
		);
		const hearth = await startHearth({
			...hearthEnv,
			LLAMA_URL: llama.url,
			LLAMA_API_KEY: apiKey
		});
		try {
			addUser(hearth, 'dora', 'dora-password');
			const client = await signIn(hearth, 'dora', 'dora-password');
			const id = await newConversation(client);
			const sent = await send(client, id, 8);
			expect((await settledReply(client, id, sent.reply.id)).status).toBe('done');
		} finally {
			await hearth.stop();
			await llama.stop();
		}
	}, 120_000);
});

// llama-server's router mode (`--models-dir`): the list of models with their state
// (GET /models), loading and unloading (POST /models/load|unload), re-reading the folder
// (GET /models?reload=1), and waiting for a model to load before a reply is requested, so the
// reply can say "loading model…" instead of timing out. A server that is not a router answers
// 404 to /models: every function here then says so (null / false) and the caller goes on as before.
import { z } from 'zod';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';

export const ROUTER_MODEL_STATES = ['loaded', 'loading', 'unloaded', 'failed'] as const;
export type RouterModelState = (typeof ROUTER_MODEL_STATES)[number];

export interface RouterModel {
	id: string;
	state: RouterModelState;
	/** The GGUF file llama-server runs for this model (from its arguments), when it says. */
	path: string | null;
	/** `--ctx-size` from the model's arguments, when set. */
	contextLength: number | null;
}

/** How long a model may take to load (a 2 GB model from an SD card on a Pi is slow). */
export const MODEL_LOAD_TIMEOUT_MS = 10 * 60_000;
/** How often the model's state is read while it loads. */
export const MODEL_LOAD_POLL_MS = 250;

const RouterList = z.object({
	data: z.array(
		z.object({
			id: z.string(),
			status: z
				.object({ value: z.string(), args: z.array(z.string()).optional() })
				.partial()
				.optional()
		})
	)
});

function argAfter(args: string[] | undefined, ...flags: string[]): string | null {
	if (!args) return null;
	const i = args.findIndex((a) => flags.includes(a));
	return i >= 0 ? (args[i + 1] ?? null) : null;
}

function toState(value: string | undefined): RouterModelState {
	return ROUTER_MODEL_STATES.find((s) => s === value) ?? 'unloaded';
}

export interface RouterClient {
	root: string;
	headers: HeadersInit;
	fetch: GuardedFetch;
}

/** The router's models, or null when the server is not a router. Throws when unreachable. */
export async function listRouterModels(
	client: RouterClient,
	options: { reload?: boolean; signal?: AbortSignal } = {}
): Promise<RouterModel[] | null> {
	const res = await client.fetch(`${client.root}/models${options.reload ? '?reload=1' : ''}`, {
		headers: client.headers,
		signal: options.signal
	});
	if (res.status === 404) {
		await res.body?.cancel();
		return null;
	}
	if (!res.ok)
		throw Object.assign(new Error(`GET /models answered ${res.status}`), { status: res.status });
	const parsed = RouterList.safeParse(await res.json());
	// A single-model server answers /models in another shape: it is not a router.
	if (!parsed.success || parsed.data.data.some((m) => !m.status)) return null;
	return parsed.data.data.map((m) => {
		const ctx = Number(argAfter(m.status?.args, '--ctx-size', '-c'));
		return {
			id: m.id,
			state: toState(m.status?.value),
			path: argAfter(m.status?.args, '--model', '-m'),
			contextLength: Number.isFinite(ctx) && ctx > 0 ? ctx : null
		};
	});
}

/** Asks the router to load or unload `model`; false when it refused (unknown model, not a router). */
export async function setRouterModel(
	client: RouterClient,
	model: string,
	action: 'load' | 'unload',
	signal?: AbortSignal
): Promise<boolean> {
	const res = await client.fetch(`${client.root}/models/${action}`, {
		method: 'POST',
		headers: { ...client.headers, 'content-type': 'application/json' },
		body: JSON.stringify({ model }),
		signal
	});
	await res.body?.cancel();
	return res.ok;
}

export type ModelReadiness =
	{ kind: 'ready' } | { kind: 'needs_load' } | { kind: 'not_router' } | { kind: 'unknown' };

/** Whether `model` can answer now: ready, needs loading (not loaded yet), or is not listed. */
export async function modelReadiness(
	client: RouterClient,
	model: string,
	signal?: AbortSignal
): Promise<ModelReadiness> {
	const models = await listRouterModels(client, { signal });
	if (!models) return { kind: 'not_router' };
	const found = models.find((m) => m.id === model);
	if (!found) return { kind: 'unknown' };
	return found.state === 'loaded' ? { kind: 'ready' } : { kind: 'needs_load' };
}

/** Loads `model` and waits until the router reports it loaded; false if it failed or took too long. */
export async function loadAndWait(
	client: RouterClient,
	model: string,
	signal: AbortSignal,
	timeoutMs = MODEL_LOAD_TIMEOUT_MS
): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	// A model already loading refuses a second load: its state is what counts, not this answer.
	await setRouterModel(client, model, 'load', signal).catch(() => false);
	while (!signal.aborted && Date.now() < deadline) {
		const state = (await listRouterModels(client, { signal }))?.find((m) => m.id === model)?.state;
		if (state === 'loaded') return true;
		if (state === 'failed' || state === undefined) return false;
		await new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, MODEL_LOAD_POLL_MS);
			signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
		});
	}
	return false;
}

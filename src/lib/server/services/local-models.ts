// Admin → Local models: the GGUF files in LLAMA_MODELS_DIR merged with what llama.cpp's router
// reports (state, context size), loading and unloading through the router, deleting a file,
// the default model for new chats, and downloads from the hub (run by local-models/downloads.ts).
// After any change to the folder the router is asked to re-read it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '$lib/server/db/database';
import type { ModelDownloadRow } from '$lib/server/db/schema';
import type { LlamaCppProvider } from '$lib/server/llm/llamacpp';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { RouterModel } from '$lib/server/llm/llama-router';
import { readGgufInfo } from '$lib/server/local-models/gguf-info';
import type { DownloadRunner } from '$lib/server/local-models/downloads';
import * as downloads from '$lib/server/repos/model-downloads';
import { getSetting, putSetting } from '$lib/server/repos/settings';
import { CONFIG_PROVIDER_IDS } from '$lib/server/services/providers';
import {
	isGgufFileName,
	isHubRepo,
	isModelName,
	MODEL_PRESETS,
	modelNameOf,
	type LocalModelDto,
	type LocalModelsDto,
	type ModelDownloadDto
} from '$lib/shared/local-models';

/** Read by services/models.ts for new chats. */
export const DEFAULT_MODEL_SETTING = 'default_model';
const LISTED_DOWNLOADS = 20;
const ROUTER_TIMEOUT_MS = 10_000;

export interface LocalModelDeps {
	db: Database;
	providers: ProviderRegistry;
	modelsDir: string;
	downloads: DownloadRunner;
}

/** The dependencies from the process's runtime. */
export function localModelDeps(runtime: {
	db: Database;
	providers: ProviderRegistry;
	config: { llamaModelsDir: string };
	downloads: DownloadRunner;
}): LocalModelDeps {
	const { db, providers, config, downloads } = runtime;
	return { db, providers, modelsDir: config.llamaModelsDir, downloads };
}

type Failure = {
	ok: false;
	code: 'invalid' | 'not_found' | 'conflict' | 'upstream';
	message: string;
};
export type Result<T> = ({ ok: true } & T) | Failure;

const fail = (code: Failure['code'], message: string): Failure => ({ ok: false, code, message });

async function llama(providers: ProviderRegistry): Promise<LlamaCppProvider | null> {
	const provider = await providers.get(CONFIG_PROVIDER_IDS.llama);
	return provider?.kind === 'llamacpp' ? (provider as LlamaCppProvider) : null;
}

/** The router re-reads the folder, and the chat's model list forgets what it cached. */
export async function reloadRouter(providers: ProviderRegistry): Promise<void> {
	await (await llama(providers))?.routerModels(true, AbortSignal.timeout(ROUTER_TIMEOUT_MS));
	providers.invalidate();
}

type FileInfo = { size: number; quantisation: string | null; contextLength: number | null };
const infoCache = new Map<string, { key: string; info: FileInfo }>();

/** The GGUF files at the top of the folder, with their header's facts (cached per size and time). */
async function folderModels(dir: string): Promise<Map<string, FileInfo>> {
	const found = new Map<string, FileInfo>();
	const names = await fs.readdir(dir).catch(() => [] as string[]);
	for (const file of names.filter((n) => isGgufFileName(n))) {
		const full = path.join(dir, file);
		const stat = await fs.stat(full).catch(() => null);
		if (!stat?.isFile()) continue;
		const key = `${stat.size}:${stat.mtimeMs}`;
		let cached = infoCache.get(full);
		if (cached?.key !== key) {
			const header = await readGgufInfo(full).catch(() => null);
			cached = {
				key,
				info: {
					size: stat.size,
					quantisation: header?.quantisation ?? null,
					contextLength: header?.contextLength ?? null
				}
			};
			infoCache.set(full, cached);
		}
		found.set(modelNameOf(file), cached.info);
	}
	return found;
}

/**
 * Whether the router reads `dir`: its models' files (from their arguments) lie there. With no
 * model listed yet there is nothing to compare, and the folder is taken as shared.
 */
function sharesFolder(routed: RouterModel[] | null, dir: string): boolean {
	const paths = (routed ?? []).flatMap((m) => (m.path ? [m.path] : []));
	return paths.length === 0 || paths.some((p) => path.dirname(p) === path.resolve(dir));
}

async function writable(dir: string): Promise<boolean> {
	return fs.access(dir, fs.constants.W_OK).then(
		() => true,
		() => false
	);
}

export function toDownloadDto(row: ModelDownloadRow): ModelDownloadDto {
	return {
		id: row.id,
		state: row.state,
		repo: row.repo,
		file: row.file,
		bytes: row.bytes,
		total: row.total,
		error: row.error,
		createdAt: row.created_at,
		updatedAt: row.updated_at
	};
}

export async function listLocalModels(deps: LocalModelDeps): Promise<LocalModelsDto> {
	const provider = await llama(deps.providers);
	let routed: RouterModel[] | null = null;
	let reachable: boolean;
	try {
		routed = (await provider?.routerModels(false, AbortSignal.timeout(ROUTER_TIMEOUT_MS))) ?? null;
		reachable = provider !== null;
	} catch {
		reachable = false;
	}
	const files = await folderModels(deps.modelsDir);
	const defaultModel = (await getSetting(deps.db, DEFAULT_MODEL_SETTING)) ?? null;
	const names = [...new Set([...(routed ?? []).map((m) => m.id), ...files.keys()])].sort();
	const models: LocalModelDto[] = names.map((name) => {
		const file = files.get(name);
		const router = routed?.find((m) => m.id === name);
		return {
			name,
			sizeBytes: file?.size ?? null,
			quantisation: file?.quantisation ?? null,
			contextLength: router?.contextLength ?? file?.contextLength ?? null,
			state: router?.state ?? null,
			isDefault: defaultModel === `${CONFIG_PROVIDER_IDS.llama}/${name}`,
			inFolder: file !== undefined
		};
	});
	return {
		reachable,
		router: routed !== null,
		folderWritable: await writable(deps.modelsDir),
		folderShared: sharesFolder(routed, deps.modelsDir),
		models,
		downloads: await listModelDownloads(deps.db),
		presets: [...MODEL_PRESETS],
		defaultModel
	};
}

export async function setLocalModelState(
	deps: LocalModelDeps,
	name: string,
	action: 'load' | 'unload'
): Promise<Result<object>> {
	if (!isModelName(name)) return fail('not_found', 'No such model');
	const provider = await llama(deps.providers);
	const routed = await provider
		?.routerModels(false, AbortSignal.timeout(ROUTER_TIMEOUT_MS))
		.catch(() => undefined);
	if (routed === undefined) return fail('upstream', 'llama.cpp is not reachable');
	if (routed === null)
		return fail('conflict', 'llama.cpp is not in router mode: it serves one model');
	if (!routed.some((m) => m.id === name)) return fail('not_found', 'No such model');
	const ok = await provider!
		.setModel(name, action, AbortSignal.timeout(ROUTER_TIMEOUT_MS))
		.catch(() => false);
	deps.providers.invalidate();
	return ok ? { ok: true } : fail('upstream', `llama.cpp did not ${action} ${name}`);
}

export async function deleteLocalModel(
	deps: LocalModelDeps,
	name: string
): Promise<Result<object>> {
	if (!isModelName(name)) return fail('not_found', 'No such model');
	const file = path.join(deps.modelsDir, `${name}.gguf`);
	if (!(await fs.stat(file).catch(() => null))?.isFile()) return fail('not_found', 'No such model');
	const provider = await llama(deps.providers);
	await provider
		?.setModel(name, 'unload', AbortSignal.timeout(ROUTER_TIMEOUT_MS))
		.catch(() => false);
	await fs.rm(file, { force: true });
	if ((await getSetting(deps.db, DEFAULT_MODEL_SETTING)) === `${CONFIG_PROVIDER_IDS.llama}/${name}`)
		await putSetting(deps.db, DEFAULT_MODEL_SETTING, '', Date.now());
	await reloadRouter(deps.providers).catch(() => undefined);
	return { ok: true };
}

/** The model new chats start with: one the model list offers, or '' for Hearth's own choice. */
export async function setDefaultModel(deps: LocalModelDeps, ref: string): Promise<Result<object>> {
	if (ref) {
		const lists = await deps.providers.models();
		const slash = ref.indexOf('/');
		const provider = lists.find((p) => p.id === ref.slice(0, slash));
		if (slash < 1 || !provider?.list.models.some((m) => m.id === ref.slice(slash + 1)))
			return fail('invalid', `${ref} is not a model Hearth can use`);
	}
	await putSetting(deps.db, DEFAULT_MODEL_SETTING, ref, Date.now());
	return { ok: true };
}

export type DownloadRequest = { preset: string } | { repo: string; file: string };

export async function startDownload(
	deps: LocalModelDeps,
	userId: number,
	request: DownloadRequest
): Promise<Result<{ download: ModelDownloadDto }>> {
	let repo: string;
	let file: string;
	if ('preset' in request) {
		const preset = MODEL_PRESETS.find((p) => p.id === request.preset);
		if (!preset) return fail('invalid', `There is no preset "${request.preset}"`);
		({ repo, file } = preset);
	} else {
		({ repo, file } = request);
		if (!isHubRepo(repo)) return fail('invalid', 'repo: must be owner/name on the hub');
		if (!isGgufFileName(file))
			return fail('invalid', 'file: must be a .gguf file name at the top of the repository');
	}
	const routed = await (
		await llama(deps.providers)
	)
		?.routerModels(false, AbortSignal.timeout(ROUTER_TIMEOUT_MS))
		.catch(() => null);
	if (!sharesFolder(routed ?? null, deps.modelsDir))
		return fail(
			'conflict',
			'llama-server reads its models from another folder than LLAMA_MODELS_DIR: a download would not reach it'
		);
	if (!(await writable(deps.modelsDir)))
		return fail(
			'conflict',
			'Hearth cannot write the models folder (LLAMA_MODELS_DIR): downloads need the folder llama-server reads'
		);
	if (await fs.stat(path.join(deps.modelsDir, file)).catch(() => null))
		return fail('conflict', `${file} is already in the models folder`);
	if (await downloads.findActiveDownloadOf(deps.db, file))
		return fail('conflict', `${file} is already being downloaded`);
	const row = await downloads.insertDownload(deps.db, {
		user_id: userId,
		repo,
		file,
		now: Date.now()
	});
	deps.downloads.submit(row.id);
	return { ok: true, download: toDownloadDto(row) };
}

export async function listModelDownloads(db: Database): Promise<ModelDownloadDto[]> {
	return (await downloads.listDownloads(db, LISTED_DOWNLOADS)).map(toDownloadDto);
}

export async function getDownload(db: Database, id: number): Promise<ModelDownloadDto | null> {
	const row = await downloads.findDownload(db, id);
	return row ? toDownloadDto(row) : null;
}

export async function cancelDownload(
	deps: LocalModelDeps,
	id: number
): Promise<Result<{ download: ModelDownloadDto }>> {
	const row = await downloads.findDownload(deps.db, id);
	if (!row) return fail('not_found', 'No such download');
	if (!(await deps.downloads.cancel(id)))
		return fail('conflict', 'The download has already finished');
	return { ok: true, download: toDownloadDto((await downloads.findDownload(deps.db, id))!) };
}

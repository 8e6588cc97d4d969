// /image: a picture from the first provider that can make one (OpenAI), kept in DATA_DIR/images
// under the user's own folder and referenced from the reply as a same-origin /api/images link.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '$lib/server/db/database';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import * as conversations from '$lib/server/repos/conversations';
import * as messages from '$lib/server/repos/messages';
import { toMessageDto } from '$lib/server/services/dto';
import type { MessageDto } from '$lib/shared/dto';

export const MAX_IMAGE_PROMPT_CHARS = 4000;
const IMAGE_TIMEOUT_MS = 120_000;
const IMAGE_TITLE_CHARS = 60;
/** Names of stored images: 128 random bits, base64url. */
export const IMAGE_NAME = /^[A-Za-z0-9_-]{22}$/;

export type ImageOutcome =
	| { ok: true; conversationId: number; message: MessageDto; reply: MessageDto }
	| { ok: false; code: 'not_found' | 'unavailable' | 'upstream'; message: string };

function imagePath(dataDir: string, userId: number, name: string): string {
	return path.join(dataDir, 'images', String(userId), `${name}.png`);
}

export async function createImage(
	deps: { db: Database; providers: ProviderRegistry; dataDir: string },
	userId: number,
	/** null: a new conversation, created only once the picture exists. */
	conversationId: number | null,
	prompt: string
): Promise<ImageOutcome> {
	const { db, providers, dataDir } = deps;
	const conversation =
		conversationId === null
			? null
			: await conversations.findConversation(db, userId, conversationId);
	if (conversationId !== null && !conversation)
		return { ok: false, code: 'not_found', message: 'No such conversation' };
	const provider = (await providers.list()).find((p) => p.generateImage);
	if (!provider?.generateImage) {
		return {
			ok: false,
			code: 'unavailable',
			message:
				'Image generation needs an OpenAI provider. An admin can add one under Admin → Providers.'
		};
	}
	const result = await provider.generateImage(prompt, AbortSignal.timeout(IMAGE_TIMEOUT_MS));
	if (!result.ok) return { ok: false, code: 'upstream', message: result.error.message };

	const name = randomBytes(16).toString('base64url');
	const file = imagePath(dataDir, userId, name);
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	await writeFile(`${file}.tmp`, result.png, { mode: 0o600 });
	await rename(`${file}.tmp`, file);

	const alt = prompt.replace(/[[\]\\\n]/g, ' ').slice(0, 200);
	return db.transaction().execute(async (trx) => {
		const now = Date.now();
		const target =
			conversation ??
			(await conversations.insertConversation(trx, {
				user_id: userId,
				title: alt.slice(0, IMAGE_TITLE_CHARS),
				model: null,
				system_prompt: null,
				settings: '{}',
				now
			}));
		const parent = conversation ? await messages.latestMessage(trx, target.id) : undefined;
		const message = await messages.insertMessage(trx, {
			conversation_id: target.id,
			user_id: userId,
			parent_id: parent?.id ?? null,
			role: 'user',
			content: `/image ${prompt}`,
			status: 'done',
			created_at: now,
			updated_at: now
		});
		const reply = await messages.insertMessage(trx, {
			conversation_id: target.id,
			user_id: userId,
			parent_id: message.id,
			role: 'assistant',
			content: `![${alt}](/api/images/${name})`,
			status: 'done',
			provider: provider.id,
			model: result.model,
			created_at: now,
			updated_at: now
		});
		await conversations.updateConversation(trx, userId, target.id, {
			updated_at: now,
			...(target.title ? {} : { title: alt.slice(0, IMAGE_TITLE_CHARS) })
		});
		return {
			ok: true as const,
			conversationId: target.id,
			message: toMessageDto(message),
			reply: toMessageDto(reply)
		};
	});
}

/** A stored image of this user's, or null (another user's name is simply not found). */
export async function readImage(dataDir: string, userId: number, name: string) {
	if (!IMAGE_NAME.test(name)) return null;
	return readFile(imagePath(dataDir, userId, name)).catch(() => null);
}

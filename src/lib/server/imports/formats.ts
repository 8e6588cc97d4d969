// The importers Hearth knows and how a file is recognised: by the shape of the first element of
// its top-level array, by the header of a top-level object that streams a `conversations` array
// (Hearth's own export), or, for one-conversation exports, by the whole object.
import type { Readable } from 'node:stream';
import type { ImportFormat, ImportItem } from '$lib/server/imports/types';
import { idOf, isObj, str, type Obj } from '$lib/server/imports/fields';
import { readJsonRecords, type JsonRecord } from '$lib/server/imports/json-stream';
import { parseChatGptConversation } from '$lib/server/imports/chatgpt';
import { parseClaudeConversation } from '$lib/server/imports/claude';
import { parseOpenWebUiChat } from '$lib/server/imports/openwebui';
import { parseLibreChatConversation } from '$lib/server/imports/librechat';
import { parseLlamaCppConversation } from '$lib/server/imports/llamacpp';
import { parseHearthExport } from '$lib/server/imports/hearth';
import { HearthExportHeader } from '$lib/server/exports/hearth-format';

/** Turns the conversations of an export, as they stream by, into import items. */
export type ConversationParser = (
	conversations: AsyncIterable<unknown>,
	/** The keys read before the conversations (Hearth's envelope), else empty. */
	header: Obj
) => AsyncGenerator<ImportItem>;

interface Importer {
	format: ImportFormat;
	/** Recognises one conversation (an array element, or a one-conversation document). */
	matches?(conversation: Obj): boolean;
	/** Recognises the keys before a top-level `conversations` array. */
	matchesHeader?(header: Obj): boolean;
	parse: ConversationParser;
}

/** The array property of a top-level object whose elements are streamed one by one. */
export const STREAMED_ARRAY_KEY = 'conversations';

/** A per-conversation parse that throws becomes a problem; the rest of the file goes on. */
function eachConversation(parse: (raw: unknown) => ImportItem): ConversationParser {
	return async function* (conversations) {
		for await (const raw of conversations) {
			try {
				yield parse(raw);
			} catch (error) {
				const o = isObj(raw) ? raw : {};
				const conv = isObj(o.conv) ? o.conv : isObj(o.chat) ? o.chat : {};
				yield {
					type: 'problem',
					problem: {
						sourceId:
							str(o.conversation_id) ??
							str(o.uuid) ??
							str(o.conversationId) ??
							idOf(o.id) ??
							idOf(conv.id),
						title: str(o.title) ?? str(o.name) ?? str(conv.name) ?? null,
						message: error instanceof Error ? error.message : String(error)
					}
				};
			}
		}
	};
}

export const IMPORTERS: Importer[] = [
	{
		format: 'hearth',
		matchesHeader: (h) => HearthExportHeader.safeParse(h).success,
		parse: parseHearthExport
	},
	{
		format: 'chatgpt',
		matches: (c) => 'mapping' in c,
		parse: eachConversation(parseChatGptConversation)
	},
	{
		format: 'claude',
		matches: (c) => 'chat_messages' in c,
		parse: eachConversation(parseClaudeConversation)
	},
	{
		format: 'openwebui',
		matches: (c) => isObj(c.chat) && ('history' in c.chat || 'messages' in c.chat),
		parse: eachConversation(parseOpenWebUiChat)
	},
	{
		format: 'llamacpp',
		matches: (c) => isObj(c.conv) && Array.isArray(c.messages),
		parse: eachConversation(parseLlamaCppConversation)
	},
	{
		format: 'librechat',
		matches: (c) => typeof c.conversationId === 'string' && Array.isArray(c.messages),
		parse: eachConversation(parseLibreChatConversation)
	}
];

export class UnknownFormatError extends Error {}

const FORMATS_TEXT =
	'ChatGPT, Claude, Open WebUI, LibreChat, llama.cpp web UI or Hearth export (its JSON or the ZIP)';

function detect(record: JsonRecord): Importer {
	const value = record.value;
	const found =
		record.kind === 'header'
			? IMPORTERS.find((i) => i.matchesHeader?.(value as Obj))
			: isObj(value)
				? IMPORTERS.find((i) => i.matches?.(value))
				: undefined;
	if (found) return found;
	throw new UnknownFormatError(
		record.kind === 'element' && !isObj(value)
			? `The file's list holds ${value === null ? 'null' : typeof value}s, not conversations; expected a ${FORMATS_TEXT}`
			: `This JSON is not an export Hearth can read; expected a ${FORMATS_TEXT}`
	);
}

async function* elementsAfter(
	first: unknown,
	rest: AsyncIterator<JsonRecord>
): AsyncGenerator<unknown> {
	if (first !== undefined) yield first;
	for (let next = await rest.next(); !next.done; next = await rest.next())
		if (next.value.kind === 'element') yield next.value.value;
}

/**
 * The import items of one JSON document. `onFormat` hears the recognised format before the first
 * item; an unrecognised document throws UnknownFormatError, invalid JSON throws stream-json's error.
 */
export async function* readDocumentItems(
	input: Readable,
	onFormat: (format: ImportFormat) => void
): AsyncGenerator<ImportItem> {
	const records = readJsonRecords(input, STREAMED_ARRAY_KEY)[Symbol.asyncIterator]();
	const first = await records.next();
	if (first.done) return;
	const importer = detect(first.value);
	onFormat(importer.format);
	const leading = first.value.kind === 'header' ? undefined : first.value.value;
	const header = first.value.kind === 'header' ? first.value.value : {};
	yield* importer.parse(elementsAfter(leading, records), header);
}

/**
 * The format and number of conversations of a document, reading the whole text but building
 * only its first conversation: invalid JSON or an unknown shape throws before anything is stored.
 */
export async function surveyDocument(
	input: Readable
): Promise<{ format: ImportFormat | null; count: number }> {
	let format: ImportFormat | null = null;
	let count = 0;
	for await (const record of readJsonRecords(input, STREAMED_ARRAY_KEY, { skipAfterFirst: true })) {
		if (format === null) format = detect(record).format;
		if (record.kind !== 'header') count++;
	}
	return { format, count };
}

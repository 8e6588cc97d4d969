// The usage export: one row per reply, read in keyset pages and yielded as CSV (RFC 4180, CRLF,
// cells that a spreadsheet would run as a formula prefixed with ') or as JSON lines of an array.
import type { Database } from '$lib/server/db/database';
import * as usage from '$lib/server/repos/usage';

export const EXPORT_PAGE_ROWS = 1000;
export const EXPORT_COLUMNS = [
	'time',
	'user',
	'conversation_id',
	'conversation',
	'provider',
	'model',
	'prompt_tokens',
	'completion_tokens',
	'reasoning_tokens',
	'cached_tokens',
	'cache_write_tokens',
	'cost_usd',
	'state',
	'usage'
] as const;

type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/** Micro-dollars as an exact decimal string of dollars ("0.001234"). */
export function microToUsd(micro: number): string {
	const whole = Math.floor(micro / 1_000_000);
	return `${whole}.${String(micro % 1_000_000).padStart(6, '0')}`;
}

function toRecord(row: usage.ExportRow): ExportRecord {
	return {
		time: new Date(Number(row.created_at)).toISOString(),
		user: row.username,
		conversation_id: row.conversation_id,
		conversation: row.title,
		provider: row.provider,
		model: row.model,
		prompt_tokens: Number(row.prompt_tokens),
		completion_tokens: Number(row.completion_tokens),
		reasoning_tokens: Number(row.reasoning_tokens),
		cached_tokens: Number(row.cached_tokens),
		cache_write_tokens: Number(row.cache_write_tokens),
		cost_usd: microToUsd(Number(row.cost_micro_usd)),
		state: row.status,
		usage: row.estimated ? 'estimated' : 'reported'
	};
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: text a spreadsheet would evaluate gets a leading ', then RFC 4180 quoting. */
export function csvCell(value: string | number | null): string {
	if (value === null) return '';
	if (typeof value === 'number') return String(value);
	const safe = FORMULA_START.test(value) ? `'${value}` : value;
	return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

async function* records(db: Database, filter: usage.UsageFilter): AsyncGenerator<ExportRecord> {
	let cursor: usage.ExportCursor | null = null;
	for (;;) {
		const page = await usage.exportPage(db, filter, cursor, EXPORT_PAGE_ROWS);
		for (const row of page) yield toRecord(row);
		if (page.length < EXPORT_PAGE_ROWS) return;
		const last = page.at(-1)!;
		cursor = { at: Number(last.created_at), id: last.id };
	}
}

export async function* exportUsage(
	db: Database,
	filter: usage.UsageFilter,
	format: 'csv' | 'json'
): AsyncGenerator<string> {
	if (format === 'csv') {
		yield EXPORT_COLUMNS.join(',') + '\r\n';
		for await (const record of records(db, filter))
			yield EXPORT_COLUMNS.map((c) => csvCell(record[c])).join(',') + '\r\n';
		return;
	}
	yield '[';
	let first = true;
	for await (const record of records(db, filter)) {
		yield (first ? '\n' : ',\n') + JSON.stringify(record);
		first = false;
	}
	yield '\n]\n';
}

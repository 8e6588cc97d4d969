// Sending replies under a fault: each send has a unique content (so the audit can find it), and
// its answer is sorted into accepted / refused-with-a-reason / error. Waits are in replies.ts.
import type { ApiClient } from '../tests/support/hearth-server';
import type { SendResultDto } from '$lib/shared/dto';
import type { Accepted } from './audit';

export { holdSqlite } from '../tests/support/sqlite-lock';

export interface SendOutcome {
	status: number;
	/** The 202 answer, when accepted. */
	sent?: SendResultDto;
	/** The error code of a refusal, e.g. "database_busy". */
	code?: string;
	retryAfter: string | null;
	content: string;
}

let counter = 0;

/** A content no other send in this run has. */
export function uniqueContent(label: string): string {
	counter += 1;
	return `${label} #${counter} ${process.pid}-${Date.now().toString(36)}`;
}

export async function sendUnique(
	client: ApiClient,
	conversationId: number,
	label: string,
	maxTokens: number
): Promise<SendOutcome> {
	const content = uniqueContent(label);
	const res = await client.call('POST', `/api/conversations/${conversationId}/messages`, {
		content,
		maxTokens
	});
	const text = await res.text();
	let body: unknown = null;
	try {
		body = JSON.parse(text);
	} catch {
		// Not JSON: counted as an error by the caller (status and code tell).
	}
	const retryAfter = res.headers.get('retry-after');
	if (res.status === 202) return { status: 202, sent: body as SendResultDto, retryAfter, content };
	const code = (body as { error?: { code?: string } } | null)?.error?.code;
	return { status: res.status, code, retryAfter, content };
}

export function accepted(client: ApiClient, conversationId: number, outcome: SendOutcome) {
	return { client, conversationId, content: outcome.content } satisfies Accepted;
}

/** Resolves on the reply's first delta (it is streaming), or when its stream ends first. */
export async function firstDelta(client: ApiClient, jobId: number): Promise<void> {
	const stop = new AbortController();
	try {
		const events = await client.events(jobId, undefined, stop.signal);
		for await (const event of events) {
			if (event.event === 'delta' || event.event === 'done' || event.event === 'error') return;
		}
	} finally {
		stop.abort();
	}
}

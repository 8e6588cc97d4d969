// Follows one reply job over SSE. EventSource reconnects by itself after a network loss and
// sends Last-Event-ID, so the server sends exactly the missing text; we close it at the end.
import type { MessageDto, UsageDto } from '$lib/shared/dto';

export interface JobStreamHandlers {
	delta(part: { text?: string; reasoning?: string }): void;
	usage(usage: UsageDto): void;
	done(message: MessageDto): void;
	failed(error: { code: string; message: string }): void;
	connection(state: 'open' | 'reconnecting'): void;
}

export function followJob(jobId: number, handlers: JobStreamHandlers): () => void {
	const source = new EventSource(`/api/jobs/${jobId}/events`);
	const parse = (e: Event) => JSON.parse((e as MessageEvent<string>).data) as unknown;
	source.addEventListener('open', () => handlers.connection('open'));
	source.addEventListener('delta', (e) =>
		handlers.delta(parse(e) as { text?: string; reasoning?: string })
	);
	source.addEventListener('usage', (e) => handlers.usage(parse(e) as UsageDto));
	source.addEventListener('done', (e) => {
		source.close();
		handlers.done((parse(e) as { message: MessageDto }).message);
	});
	source.addEventListener('error', (e) => {
		// Our `event: error` carries data; a connection error does not.
		if (e instanceof MessageEvent && typeof e.data === 'string') {
			source.close();
			handlers.failed(parse(e) as { code: string; message: string });
		} else if (source.readyState === EventSource.CONNECTING) {
			handlers.connection('reconnecting');
		} else {
			handlers.failed({
				code: 'closed',
				message: 'The reply stream closed; reload to see the reply'
			});
		}
	});
	return () => source.close();
}

// A small Server-Sent Events parser over a fetch body: an async generator of events, per the
// HTML spec's field rules (id, event, data, comments), tolerant of any chunking and CRLF.
export interface SseEvent {
	id: string | null;
	event: string;
	data: string;
}

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let buffer = '';
	let id: string | null = null;
	let event = '';
	let data: string[] = [];
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return;
			buffer += decoder.decode(value, { stream: true });
			let newline: number;
			while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
				// A lone CR at the end may be the first half of a CRLF: wait for the next chunk.
				if (newline === buffer.length - 1 && buffer.endsWith('\r')) break;
				const line = buffer.slice(0, newline);
				buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
				if (line === '') {
					if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
					event = '';
					data = [];
					continue;
				}
				if (line.startsWith(':')) continue;
				const colon = line.indexOf(':');
				const field = colon < 0 ? line : line.slice(0, colon);
				const raw = colon < 0 ? '' : line.slice(colon + 1);
				const text = raw.startsWith(' ') ? raw.slice(1) : raw;
				if (field === 'data') data.push(text);
				else if (field === 'event') event = text;
				else if (field === 'id' && !text.includes('\0')) id = text;
			}
		}
	} finally {
		reader.releaseLock();
	}
}

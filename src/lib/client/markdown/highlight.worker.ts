// shiki in a worker: compiling a grammar's expressions and tokenizing code take hundreds of
// milliseconds on a phone, which on the page's thread would freeze scrolling and typing.
import { highlight } from '$lib/client/markdown/highlight';

export interface HighlightRequest {
	id: number;
	code: string;
	grammar: string;
}
export type HighlightAnswer = { id: number; html: string } | { id: number; error: string };

self.onmessage = async ({ data }: MessageEvent<HighlightRequest>) => {
	let answer: HighlightAnswer;
	try {
		answer = { id: data.id, html: await highlight(data.code, data.grammar) };
	} catch (error) {
		answer = { id: data.id, error: error instanceof Error ? error.message : String(error) };
	}
	self.postMessage(answer);
};

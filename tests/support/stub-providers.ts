// Local stand-ins for the OpenAI and Anthropic APIs, faithful to their documented wire formats
// (SSE event shapes, error bodies), for the faults and protocols a real llama-server cannot give
// us. Each listens on 127.0.0.1 and a free port; `behaviour` picks what the next chat request gets.
import http from 'node:http';
import type { ProviderRecord } from '$lib/server/llm/types';
import { listenLocal } from './ports';

export type StubBehaviour =
	| 'ok'
	| 'reasoning'
	| 'status401'
	/** A hostile or careless upstream: 401 whose message echoes the credentials it was sent. */
	| 'echoKey'
	| 'status429'
	| 'status500'
	| 'malformed'
	| 'truncated'
	| 'slowFirstToken'
	| 'endless';

export interface StubServer {
	url: string;
	behaviour: StubBehaviour;
	/** OpenAI stub, behaviour 'ok': stream this text instead, `chunkChars` every `intervalMs`. */
	script?: { text: string; chunkChars: number; intervalMs: number };
	requests: { path: string; headers: http.IncomingHttpHeaders; body: unknown }[];
	close(): Promise<void>;
}

export const TINY_PNG_BASE64 =
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const REPLY = ['Hello', ' from', ' the', ' stub', '.'];

async function readBody(req: http.IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString('utf8');
	return text ? JSON.parse(text) : null;
}

function sse(res: http.ServerResponse) {
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

async function startStub(
	route: (
		stub: StubServer,
		req: http.IncomingMessage,
		res: http.ServerResponse,
		body: unknown
	) => void
): Promise<StubServer> {
	const sockets = new Set<import('node:net').Socket>();
	const stub: StubServer = { url: '', behaviour: 'ok', requests: [], close: async () => {} };
	const server = http.createServer(async (req, res) => {
		const body = await readBody(req).catch(() => null);
		stub.requests.push({ path: req.url ?? '', headers: req.headers, body });
		route(stub, req, res, body);
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	stub.url = await listenLocal(server);
	stub.close = () =>
		new Promise((resolve) => {
			for (const s of sockets) s.destroy();
			server.close(() => resolve());
		});
	return stub;
}

function endlessWriter(res: http.ServerResponse, write: (i: number) => string) {
	let i = 0;
	const timer = setInterval(() => {
		if (res.destroyed) return clearInterval(timer);
		res.write(write(i++));
	}, 5);
	res.on('close', () => clearInterval(timer));
}

function streamScript(
	res: http.ServerResponse,
	script: NonNullable<StubServer['script']>,
	chunk: (delta: Record<string, unknown>, finish?: string | null) => string
) {
	let at = 0;
	const timer = setInterval(() => {
		if (res.destroyed) return clearInterval(timer);
		if (at < script.text.length) {
			res.write(chunk({ content: script.text.slice(at, at + script.chunkChars) }));
			at += script.chunkChars;
			return;
		}
		clearInterval(timer);
		res.write(chunk({}, 'stop'));
		res.write(
			`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 40, completion_tokens: Math.ceil(script.text.length / 4), total_tokens: 0 } })}\n\n`
		);
		res.end('data: [DONE]\n\n');
	}, script.intervalMs);
	res.on('close', () => clearInterval(timer));
}

/** The admin's record of an OpenAI-compatible provider at `stub` (id "stub"), with `overrides`. */
export function stubProviderRecord(
	stub: Pick<StubServer, 'url'>,
	overrides: Partial<ProviderRecord> = {}
): ProviderRecord {
	return {
		id: 'stub',
		kind: 'openai_compatible',
		name: 'Stub',
		baseUrl: `${stub.url}/v1`,
		apiKey: null,
		allowInternal: true,
		maxConcurrency: null,
		enabledModels: [],
		source: 'admin',
		...overrides
	};
}

export function startOpenAiStub(): Promise<StubServer> {
	return startStub(openAiRoute);
}

/**
 * llama.cpp's server as far as Hearth reads it: /props (with `modalities` as llama-server reports
 * them when a multimodal projector is loaded, or without them) and the OpenAI routes.
 */
export function startLlamaStub(options: { vision: boolean; slots?: number }): Promise<StubServer> {
	return startStub((stub, req, res, body) => {
		if (req.url === '/props') {
			res.writeHead(200, { 'content-type': 'application/json' });
			return void res.end(
				JSON.stringify({
					total_slots: options.slots ?? 1,
					model_path: '/models/stub.gguf',
					default_generation_settings: { n_ctx: 4096 },
					...(options.vision ? { modalities: { vision: true, audio: false } } : {})
				})
			);
		}
		openAiRoute(stub, req, res, body);
	});
}

function openAiRoute(
	stub: StubServer,
	req: http.IncomingMessage,
	res: http.ServerResponse,
	_body?: unknown
): void {
	const json = (status: number, value: unknown) => {
		res.writeHead(status, { 'content-type': 'application/json' });
		res.end(JSON.stringify(value));
	};
	const echoed = () => ({
		error: {
			message: `Incorrect API key provided. Received headers: authorization: ${req.headers.authorization ?? ''}`,
			type: 'invalid_request_error'
		}
	});
	if (stub.behaviour === 'echoKey') return json(401, echoed());
	if (req.url === '/v1/models') {
		return json(200, {
			object: 'list',
			data: ['gpt-4o-mini', 'text-embedding-3-small', 'o4-mini'].map((id) => ({
				id,
				object: 'model',
				created: 0,
				owned_by: 'stub'
			}))
		});
	}
	if (req.url === '/v1/images/generations') {
		if (stub.behaviour === 'status401')
			return json(401, {
				error: { message: 'Incorrect API key provided', type: 'invalid_request_error' }
			});
		// The smallest valid PNG (1×1), as gpt-image-1 answers: base64 in b64_json.
		return json(200, { created: 0, data: [{ b64_json: TINY_PNG_BASE64 }] });
	}
	if (req.url !== '/v1/chat/completions')
		return json(404, { error: { message: 'Unknown path', type: 'invalid_request_error' } });
	const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
		`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
	switch (stub.behaviour) {
		case 'status401':
			return json(401, {
				error: {
					message: 'Incorrect API key provided: sk-...abcd.',
					type: 'invalid_request_error',
					code: 'invalid_api_key'
				}
			});
		case 'status429':
			return json(429, {
				error: {
					message: 'Rate limit reached for requests',
					type: 'requests',
					code: 'rate_limit_exceeded'
				}
			});
		case 'status500':
			return json(500, {
				error: {
					message: 'The server had an error while processing your request.',
					type: 'server_error'
				}
			});
		case 'slowFirstToken':
			return void setTimeout(() => {
				if (!res.destroyed) json(200, {});
			}, 5_000);
		case 'malformed':
			sse(res);
			res.write(chunk({ role: 'assistant', content: 'Hi' }));
			res.end('data: {"choices": [ this is not json\n\n');
			return;
		case 'truncated':
			sse(res);
			res.write(chunk({ role: 'assistant', content: 'Partial' }));
			return void setTimeout(() => res.socket?.destroy(), 20);
		case 'endless':
			sse(res);
			return endlessWriter(res, () => chunk({ content: 'more ' }));
		default: {
			sse(res);
			if (stub.behaviour === 'reasoning')
				res.write(chunk({ role: 'assistant', reasoning_content: 'Thinking…' }));
			if (stub.script) return void streamScript(res, stub.script, chunk);
			for (const piece of REPLY) res.write(chunk({ content: piece }));
			res.write(chunk({}, 'stop'));
			res.write(
				`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 8 }, completion_tokens_details: { reasoning_tokens: 2 } } })}\n\n`
			);
			res.end('data: [DONE]\n\n');
		}
	}
}

export function startAnthropicStub(): Promise<StubServer> {
	return startStub((stub, req, res) => {
		const json = (status: number, value: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_stub' });
			res.end(JSON.stringify(value));
		};
		const error = (status: number, type: string, message: string) =>
			json(status, { type: 'error', error: { type, message } });
		if (stub.behaviour === 'echoKey')
			return error(
				401,
				'authentication_error',
				`invalid x-api-key ${req.headers['x-api-key'] ?? ''} (authorization: ${req.headers.authorization ?? ''})`
			);
		if (req.url?.startsWith('/v1/models')) {
			return json(200, {
				data: [
					{
						type: 'model',
						id: 'claude-sonnet-4-5',
						display_name: 'Claude Sonnet 4.5',
						created_at: '2025-09-29T00:00:00Z'
					}
				],
				has_more: false,
				first_id: 'claude-sonnet-4-5',
				last_id: 'claude-sonnet-4-5'
			});
		}
		if (req.url !== '/v1/messages') return error(404, 'not_found_error', 'Unknown path');
		const event = (name: string, data: Record<string, unknown>) =>
			`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
		const start = event('message_start', {
			message: {
				id: 'msg_1',
				type: 'message',
				role: 'assistant',
				model: 'claude-sonnet-4-5',
				content: [],
				stop_reason: null,
				stop_sequence: null,
				usage: {
					input_tokens: 21,
					cache_read_input_tokens: 100,
					cache_creation_input_tokens: 30,
					output_tokens: 1
				}
			}
		});
		switch (stub.behaviour) {
			case 'status401':
				return error(401, 'authentication_error', 'invalid x-api-key');
			case 'status429':
				return error(
					429,
					'rate_limit_error',
					'Number of request tokens has exceeded your per-minute rate limit'
				);
			case 'status500':
				return error(500, 'api_error', 'Internal server error');
			case 'malformed':
				sse(res);
				res.write(start);
				res.end('event: content_block_delta\ndata: {not json}\n\n');
				return;
			case 'slowFirstToken':
				// The stream opens, then no token comes (until the client gives up).
				sse(res);
				res.write(start);
				return;
			case 'truncated':
				sse(res);
				res.write(start);
				res.write(
					event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
				);
				res.write(
					event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Partial' } })
				);
				return void setTimeout(() => res.socket?.destroy(), 20);
			default: {
				sse(res);
				res.write(start);
				let index = 0;
				if (stub.behaviour === 'reasoning') {
					res.write(
						event('content_block_start', {
							index,
							content_block: { type: 'thinking', thinking: '' }
						})
					);
					res.write(
						event('content_block_delta', {
							index,
							delta: { type: 'thinking_delta', thinking: 'Let me think.' }
						})
					);
					res.write(event('content_block_stop', { index }));
					index++;
				}
				res.write(
					event('content_block_start', { index, content_block: { type: 'text', text: '' } })
				);
				res.write('event: ping\ndata: {"type": "ping"}\n\n');
				for (const piece of REPLY)
					res.write(
						event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } })
					);
				res.write(event('content_block_stop', { index }));
				res.write(
					event('message_delta', {
						delta: { stop_reason: 'end_turn', stop_sequence: null },
						usage: { output_tokens: 9 }
					})
				);
				res.end(event('message_stop', {}));
			}
		}
	});
}

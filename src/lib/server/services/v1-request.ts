// What a /v1 chat-completions request may carry, checked before anything runs: OpenAI's fields
// that Hearth passes through (others are dropped), with OpenAI's names and bounds.
import { z } from 'zod';

export const MAX_V1_MESSAGES = 1_000;
const MAX_TEXT_CHARS = 1_000_000;
const MAX_TOOLS = 128;

const TextPart = z.object({ type: z.literal('text'), text: z.string().max(MAX_TEXT_CHARS) });
const ImagePart = z.object({
	type: z.literal('image_url'),
	image_url: z.object({
		url: z.string().regex(/^(https?:|data:image\/)/i, 'expected an http(s) or data:image URL'),
		detail: z.enum(['auto', 'low', 'high']).optional()
	})
});
export const ContentPart = z.discriminatedUnion('type', [TextPart, ImagePart]);

const ToolCall = z.object({
	id: z.string().max(200),
	type: z.literal('function'),
	function: z.object({ name: z.string().max(200), arguments: z.string().max(MAX_TEXT_CHARS) })
});

export const V1Message = z.object({
	role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
	content: z
		.union([z.string().max(MAX_TEXT_CHARS), z.array(ContentPart).max(100)])
		.nullable()
		.optional(),
	name: z.string().max(200).optional(),
	tool_calls: z.array(ToolCall).max(MAX_TOOLS).optional(),
	tool_call_id: z.string().max(200).optional()
});
export type V1MessageInput = z.infer<typeof V1Message>;

const Tool = z.object({
	type: z.literal('function'),
	function: z.object({
		name: z.string().min(1).max(64),
		description: z.string().max(10_000).optional(),
		parameters: z.record(z.string(), z.unknown()).optional(),
		strict: z.boolean().nullable().optional()
	})
});

const ResponseFormat = z.discriminatedUnion('type', [
	z.object({ type: z.literal('text') }),
	z.object({ type: z.literal('json_object') }),
	z.object({
		type: z.literal('json_schema'),
		json_schema: z.object({
			name: z.string().max(64),
			description: z.string().max(10_000).optional(),
			schema: z.record(z.string(), z.unknown()).optional(),
			strict: z.boolean().nullable().optional()
		})
	})
]);

const Stop = z.union([z.string().max(1000), z.array(z.string().max(1000)).max(4)]);

export const ChatCompletionBody = z.object({
	model: z.string().min(1).max(300),
	messages: z.array(V1Message).min(1).max(MAX_V1_MESSAGES),
	stream: z.boolean().nullable().optional(),
	stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
	temperature: z.number().min(0).max(2).nullable().optional(),
	top_p: z.number().min(0).max(1).nullable().optional(),
	max_tokens: z.number().int().min(1).nullable().optional(),
	max_completion_tokens: z.number().int().min(1).nullable().optional(),
	stop: Stop.nullable().optional(),
	seed: z.number().int().nullable().optional(),
	frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
	presence_penalty: z.number().min(-2).max(2).nullable().optional(),
	tools: z.array(Tool).max(MAX_TOOLS).optional(),
	tool_choice: z
		.union([
			z.enum(['none', 'auto', 'required']),
			z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })
		])
		.optional(),
	parallel_tool_calls: z.boolean().optional(),
	response_format: ResponseFormat.optional(),
	logprobs: z.boolean().nullable().optional(),
	top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
	n: z.number().int().min(1).nullable().optional(),
	user: z.string().max(500).optional()
});
export type ChatCompletionInput = z.infer<typeof ChatCompletionBody>;

export const EmbeddingsBody = z.object({
	model: z.string().min(1).max(300),
	input: z.union([
		z.string().max(MAX_TEXT_CHARS),
		z.array(z.string().max(MAX_TEXT_CHARS)).min(1).max(2048),
		z.array(z.number().int()).min(1),
		z.array(z.array(z.number().int())).min(1).max(2048)
	]),
	encoding_format: z.enum(['float', 'base64']).optional(),
	dimensions: z.number().int().min(1).optional(),
	user: z.string().max(500).optional()
});

/** Everything a user wrote in the request, for a usage estimate (and, later, the content policy). */
export function userText(messages: V1MessageInput[]): string {
	return messages
		.map((m) =>
			typeof m.content === 'string'
				? m.content
				: (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('')
		)
		.join('\n');
}

/** The first problem, as OpenAI names it: the parameter and what is wrong. */
export function describeInvalid(error: z.ZodError): { param: string | null; message: string } {
	const issue = error.issues[0];
	if (!issue) return { param: null, message: 'Invalid request body' };
	const param = issue.path.length > 0 ? issue.path.join('.') : null;
	return { param, message: `${param ?? 'body'}: ${issue.message}` };
}

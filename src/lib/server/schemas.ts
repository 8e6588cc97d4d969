// Request-body pieces shared by several API routes.
import { z } from 'zod';
import { REASONING_LEVELS } from '$lib/shared/dto';

export const ModelRef = z
	.string()
	.max(300)
	.regex(/^[^/\s]+\/\S+$/, 'expected "provider/model", e.g. "llama/default"');

export const Temperature = z.number().min(0).max(2);
export const Reasoning = z.enum(REASONING_LEVELS);

export const ConversationSettings = z.object({
	temperature: Temperature.optional(),
	reasoning: Reasoning.optional()
});

/** A model alias as the admin saves it (services/model-aliases.ts checks the details). */
export const AliasBody = z.strictObject({
	name: z.string().max(1000),
	target: z.string().max(1000),
	params: z
		.strictObject({
			temperature: z.number().optional(),
			max_tokens: z.number().optional(),
			top_p: z.number().optional()
		})
		.optional(),
	systemPrompt: z.string().max(100_000).nullable().optional()
});

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

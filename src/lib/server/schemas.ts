// Request-body pieces shared by several API routes.
import { z } from 'zod';
import { POLICY_RULE_KINDS, REASONING_LEVELS } from '$lib/shared/dto';
import {
	MAX_PRESET_NAME_CHARS,
	MAX_PROMPT_TEXT_CHARS,
	MAX_PROMPT_TITLE_CHARS
} from '$lib/shared/prompt-template';
import { MAX_SYSTEM_PROMPT_CHARS } from '$lib/shared/slash-commands';
import { MAX_ID } from '$lib/server/ids';

/** A row's id in a body (conversation, message): at most what an id column holds. */
export const RowId = z.number().int().positive().max(MAX_ID);

export const ModelRef = z
	.string()
	.max(300)
	.regex(/^[^/\s]+\/\S+$/, 'expected "provider/model", e.g. "llama/default"');

export const Temperature = z.number().min(0).max(2);
export const Reasoning = z.enum(REASONING_LEVELS);

export const ConversationSettings = z.object({
	temperature: Temperature.optional(),
	reasoning: Reasoning.optional(),
	preset: z.string().max(MAX_PRESET_NAME_CHARS).optional()
});

/** A content-policy rule as the admin saves it (services/content-policy.ts checks the details). */
export const PolicyRuleBody = z.strictObject({
	name: z.string().max(1000),
	kind: z.enum(POLICY_RULE_KINDS),
	pattern: z.string().max(200_000),
	message: z.string().max(10_000),
	enabled: z.boolean().optional(),
	failClosed: z.boolean().optional(),
	screenReplies: z.boolean().optional()
});
export const PolicyRulePatch = PolicyRuleBody.partial();

/** A saved prompt; the service checks the command's shape and the template, these bound sizes. */
export const PromptBody = z
	.object({
		command: z.string().max(64),
		title: z.string().max(MAX_PROMPT_TITLE_CHARS),
		text: z.string().max(MAX_PROMPT_TEXT_CHARS),
		shared: z.boolean().optional()
	})
	.strict();

export const PresetBody = z
	.object({
		name: z.string().max(MAX_PRESET_NAME_CHARS),
		model: ModelRef.nullable().optional(),
		temperature: Temperature.nullable().optional(),
		reasoning: Reasoning.nullable().optional(),
		systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable().optional(),
		/** Checked in detail by services/prompts.ts (ranges, whole numbers). */
		params: z
			.strictObject({ max_tokens: z.number().optional(), top_p: z.number().optional() })
			.optional(),
		isDefault: z.boolean().optional(),
		shared: z.boolean().optional()
	})
	.strict();

/** The content policy's settings (admin). */
export const PolicySettingsBody = z.strictObject({ keepRefusedText: z.boolean() });

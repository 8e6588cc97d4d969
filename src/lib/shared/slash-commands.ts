// The slash commands: one table that the parser, the composer's autocomplete and /help all read.
// A command either yields an action for the chat store or an error that explains itself; an
// invalid command changes nothing. "//text" sends "/text" as an ordinary message.
import { REASONING_LEVELS, type ReasoningDto } from '$lib/shared/dto';

export const MAX_TEMPERATURE = 2;
/** A system prompt's length: a chat's, a preset's, and /system's text. */
export const MAX_SYSTEM_PROMPT_CHARS = 20_000;

export type SlashAction =
	| { kind: 'model'; model: string }
	| { kind: 'temperature'; value: number }
	| { kind: 'reasoning'; level: ReasoningDto }
	| { kind: 'system'; text: string | null }
	| { kind: 'image'; prompt: string }
	| { kind: 'help' }
	| { kind: 'preset'; name: string };

export type SlashResult =
	| { kind: 'message'; content: string }
	| { kind: 'command'; action: SlashAction }
	| { kind: 'prompt'; prompt: SlashPrompt }
	| { kind: 'error'; message: string };

/** A saved prompt the composer offers beside the commands (`/<command>`). */
export interface SlashPrompt {
	id: number;
	command: string;
	title: string;
	text: string;
}

export interface SlashContext {
	/** "provider/model" refs the user can pick. */
	models: string[];
	/** The user's saved prompts and the shared ones. */
	prompts?: readonly SlashPrompt[];
	/** Names of the presets /preset can apply. */
	presets?: readonly string[];
}

type Parsed = { action: SlashAction } | { error: string };

interface SlashCommand {
	name: string;
	usage: string;
	summary: string;
	parse(arg: string, context: SlashContext): Parsed;
	/** Values to offer for the argument as it is typed. */
	suggest?(arg: string, context: SlashContext): string[];
}

function matchModel(arg: string, models: string[]): string[] {
	const wanted = arg.toLowerCase();
	const exact = models.filter(
		(m) => m.toLowerCase() === wanted || m.slice(m.indexOf('/') + 1).toLowerCase() === wanted
	);
	return exact.length > 0 ? exact : models.filter((m) => m.toLowerCase().includes(wanted));
}

export const SLASH_COMMANDS: readonly SlashCommand[] = [
	{
		name: 'model',
		usage: '/model <name>',
		summary: 'Use another model for this conversation',
		parse(arg, { models }) {
			if (!arg) return { error: `Name a model, e.g. /model ${models[0] ?? 'llama/default'}` };
			const found = matchModel(arg, models);
			if (found.length === 1) return { action: { kind: 'model', model: found[0]! } };
			if (found.length === 0)
				return {
					error: `No model matches "${arg}". Available: ${models.slice(0, 8).join(', ') || 'none'}`
				};
			return { error: `"${arg}" matches ${found.length} models: ${found.slice(0, 6).join(', ')}` };
		},
		suggest: (arg, { models }) => (arg ? matchModel(arg, models) : models)
	},
	{
		name: 'temp',
		usage: '/temp <0–2>',
		summary: 'Set the temperature (0 is focused, 2 is wild)',
		parse(arg) {
			const value = /^\d+(\.\d+)?$|^\.\d+$/.test(arg) ? Number(arg) : NaN;
			if (!(value >= 0 && value <= MAX_TEMPERATURE))
				return { error: `Temperature is a number from 0 to ${MAX_TEMPERATURE}, e.g. /temp 0.7` };
			return { action: { kind: 'temperature', value } };
		},
		suggest: () => ['0', '0.3', '0.7', '1', '1.5']
	},
	{
		name: 'reasoning',
		usage: '/reasoning <off|low|medium|high>',
		summary: 'How much the model thinks before answering',
		parse(arg) {
			const level = REASONING_LEVELS.find((l) => l === arg.toLowerCase());
			if (!level) return { error: `Reasoning is one of ${REASONING_LEVELS.join(', ')}` };
			return { action: { kind: 'reasoning', level } };
		},
		suggest: (arg) => REASONING_LEVELS.filter((l) => l.startsWith(arg.toLowerCase()))
	},
	{
		name: 'system',
		usage: '/system <text> | /system clear',
		summary: "Add to this conversation's system prompt",
		parse(arg) {
			if (!arg) return { error: 'Write the text to add, e.g. /system Answer in French' };
			if (arg.length > MAX_SYSTEM_PROMPT_CHARS)
				return { error: `System text is limited to ${MAX_SYSTEM_PROMPT_CHARS} characters` };
			return { action: { kind: 'system', text: arg.toLowerCase() === 'clear' ? null : arg } };
		},
		suggest: (arg) => ('clear'.startsWith(arg.toLowerCase()) && arg ? ['clear'] : [])
	},
	{
		name: 'image',
		usage: '/image <prompt>',
		summary: 'Generate an image (needs an OpenAI provider)',
		parse(arg) {
			if (!arg) return { error: 'Describe the image, e.g. /image a fox in the snow' };
			return { action: { kind: 'image', prompt: arg } };
		}
	},
	{
		name: 'preset',
		usage: '/preset <name>',
		summary: "Apply a preset's model, temperature, reasoning and system prompt",
		parse(arg, { presets = [] }) {
			if (!arg) return { error: `Name a preset, e.g. /preset ${presets[0] ?? 'Writing'}` };
			const wanted = arg.toLowerCase();
			const exact = presets.filter((p) => p.toLowerCase() === wanted);
			const found =
				exact.length > 0 ? exact : presets.filter((p) => p.toLowerCase().includes(wanted));
			if (found.length === 1) return { action: { kind: 'preset', name: found[0]! } };
			if (found.length === 0)
				return { error: `No preset matches "${arg}". Yours: ${presets.join(', ') || 'none'}` };
			return { error: `"${arg}" matches ${found.length} presets: ${found.slice(0, 6).join(', ')}` };
		},
		suggest: (arg, { presets = [] }) =>
			presets.filter((p) => p.toLowerCase().includes(arg.toLowerCase()))
	},
	{
		name: 'help',
		usage: '/help',
		summary: 'List these commands',
		parse: () => ({ action: { kind: 'help' } })
	}
];

const COMMAND_WORD = /^\/([A-Za-z][A-Za-z0-9-]*)(?:\s+([\s\S]*))?$/;

/** What the composer's text means: a message, a command to run, or an explained error. */
export function parseSlash(input: string, context: SlashContext): SlashResult {
	const text = input.trim();
	if (text.startsWith('//')) return { kind: 'message', content: text.slice(1) };
	const match = COMMAND_WORD.exec(text);
	if (!match) return { kind: 'message', content: input };
	const name = match[1]!.toLowerCase();
	const command = SLASH_COMMANDS.find((c) => c.name === name);
	const prompt = command ? undefined : context.prompts?.find((p) => p.command === name);
	if (prompt && !match[2]?.trim()) return { kind: 'prompt', prompt };
	if (!command)
		return {
			kind: 'error',
			message: `Unknown command /${name}. Type /help for the list, or start with // to send it as text.`
		};
	const parsed = command.parse((match[2] ?? '').trim(), context);
	return 'error' in parsed
		? { kind: 'error', message: `${command.usage}: ${parsed.error}` }
		: { kind: 'command', action: parsed.action };
}

export interface SlashSuggestion {
	/** The composer text if this suggestion is taken. */
	value: string;
	label: string;
	detail: string;
	/** Set when the suggestion is a saved prompt: taking it fills the prompt in, not `value`. */
	prompt?: SlashPrompt;
}

const MAX_SUGGESTIONS = 8;

/** Suggestions for the composer text so far (empty when it is not a command being typed). */
export function suggestSlash(input: string, context: SlashContext): SlashSuggestion[] {
	if (!input.startsWith('/') || input.startsWith('//') || input.includes('\n')) return [];
	const space = input.indexOf(' ');
	if (space < 0) {
		const prefix = input.slice(1).toLowerCase();
		const commands = SLASH_COMMANDS.filter((c) => c.name.startsWith(prefix)).map((c) => ({
			value: `/${c.name} `,
			label: c.usage,
			detail: c.summary
		}));
		const prompts = (context.prompts ?? [])
			.filter((p) => p.command.startsWith(prefix))
			.map((p) => ({ value: `/${p.command}`, label: `/${p.command}`, detail: p.title, prompt: p }));
		return [...commands, ...prompts];
	}
	const command = SLASH_COMMANDS.find((c) => c.name === input.slice(1, space).toLowerCase());
	const arg = input.slice(space + 1).trim();
	return (command?.suggest?.(arg, context) ?? [])
		.filter((value) => value !== arg)
		.slice(0, MAX_SUGGESTIONS)
		.map((value) => ({
			value: `/${command!.name} ${value}`,
			label: value,
			detail: command!.summary
		}));
}

/** The /help text, written from the same table. */
export function slashHelp(): { usage: string; summary: string }[] {
	return SLASH_COMMANDS.map(({ usage, summary }) => ({ usage, summary }));
}

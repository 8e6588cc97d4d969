// Saved prompts' text and names: variables are written {{name}} or {{name|default}}; one parser
// for the server (validation) and the composer (the variable form and the filled text).
// Escape: a backslash before "{{" keeps the braces as text ("\{{x}}" reads "{{x}}"); nothing
// else is special, so "{" alone, "}}" alone and an unclosed "{{" are ordinary text.
import { SLASH_COMMANDS } from '$lib/shared/slash-commands';

export const MAX_PROMPT_TEXT_CHARS = 20_000;
export const MAX_PROMPT_TITLE_CHARS = 100;
export const MAX_PROMPT_VARIABLES = 20;
export const MAX_VARIABLE_DEFAULT_CHARS = 200;
export const MAX_PRESET_NAME_CHARS = 60;
/** A command is 1–32 lowercase letters, digits or dashes, starting with a letter. */
export const PROMPT_COMMAND = /^[a-z][a-z0-9-]{0,31}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_ -]{0,39}$/;

export type TemplatePart =
	{ kind: 'text'; text: string } | { kind: 'variable'; name: string; fallback: string | null };

export interface TemplateVariable {
	name: string;
	/** The first default written for this name, if any. */
	fallback: string | null;
}

const TOKEN = /\\\{\{|\{\{([^{}|]*)(?:\|([^{}]*))?\}\}/g;

/** The text split into literal runs and variables; a malformed "{{…}}" stays literal text. */
export function parseTemplate(text: string): TemplatePart[] {
	const parts: TemplatePart[] = [];
	let literal = '';
	let last = 0;
	for (const match of text.matchAll(TOKEN)) {
		literal += text.slice(last, match.index);
		last = match.index + match[0].length;
		const name = match[1]?.trim();
		if (match[0] === '\\{{') literal += '{{';
		else if (name !== undefined && VARIABLE_NAME.test(name)) {
			if (literal) parts.push({ kind: 'text', text: literal });
			literal = '';
			parts.push({ kind: 'variable', name, fallback: match[2] ?? null });
		} else literal += match[0];
	}
	literal += text.slice(last);
	if (literal) parts.push({ kind: 'text', text: literal });
	return parts;
}

/** Each variable once, in order of first appearance. */
export function templateVariables(text: string): TemplateVariable[] {
	const seen = new Map<string, TemplateVariable>();
	for (const part of parseTemplate(text)) {
		if (part.kind !== 'variable') continue;
		const known = seen.get(part.name);
		if (!known) seen.set(part.name, { name: part.name, fallback: part.fallback });
		else if (known.fallback === null) known.fallback = part.fallback;
	}
	return [...seen.values()];
}

export type FillResult = { ok: true; text: string } | { ok: false; missing: string[] };

/**
 * The text with each variable replaced by its value, else its default; a variable with neither
 * (or only blank text) is missing. Each {{name}} with no default of its own takes the first
 * default written for that name.
 */
export function fillTemplate(text: string, values: Record<string, string>): FillResult {
	const variables = new Map(templateVariables(text).map((v) => [v.name, v]));
	const missing = new Set<string>();
	let out = '';
	for (const part of parseTemplate(text)) {
		if (part.kind === 'text') {
			out += part.text;
			continue;
		}
		const given = values[part.name];
		const fallback = part.fallback ?? variables.get(part.name)?.fallback ?? null;
		const value = given !== undefined && given.trim() !== '' ? given : fallback;
		if (value === null) missing.add(part.name);
		else out += value;
	}
	return missing.size > 0 ? { ok: false, missing: [...missing] } : { ok: true, text: out };
}

/** Why a prompt's text cannot be saved, or null when it can. */
export function templateProblem(text: string): string | null {
	if (!text.trim()) return 'Write the prompt text';
	if (text.length > MAX_PROMPT_TEXT_CHARS)
		return `Prompt text is limited to ${MAX_PROMPT_TEXT_CHARS} characters`;
	const variables = templateVariables(text);
	if (variables.length > MAX_PROMPT_VARIABLES)
		return `A prompt has at most ${MAX_PROMPT_VARIABLES} variables`;
	if (variables.some((v) => (v.fallback?.length ?? 0) > MAX_VARIABLE_DEFAULT_CHARS))
		return `A variable's default is limited to ${MAX_VARIABLE_DEFAULT_CHARS} characters`;
	return null;
}

/** Why a command name cannot be used (shape, or a built-in slash command's name), or null. */
export function commandProblem(command: string): string | null {
	if (!PROMPT_COMMAND.test(command))
		return 'A command is 1–32 lowercase letters, digits or dashes, starting with a letter';
	if (SLASH_COMMANDS.some((c) => c.name === command))
		return `/${command} is a built-in command; choose another name`;
	return null;
}

import { describe, expect, it } from 'vitest';
import {
	commandProblem,
	fillTemplate,
	MAX_PROMPT_TEXT_CHARS,
	MAX_PROMPT_VARIABLES,
	parseTemplate,
	templateProblem,
	templateVariables
} from '$lib/shared/prompt-template';

describe('prompt variables', () => {
	it('fills each variable, every occurrence of a name with the same value', () => {
		const text = 'Translate {{text}} into {{language}}. Again: {{ text }}';
		expect(templateVariables(text)).toEqual([
			{ name: 'text', fallback: null },
			{ name: 'language', fallback: null }
		]);
		expect(fillTemplate(text, { text: 'bonjour', language: 'English' })).toEqual({
			ok: true,
			text: 'Translate bonjour into English. Again: bonjour'
		});
	});

	it('uses a default when the value is absent or blank, and an empty default counts', () => {
		const text = 'Write in {{tone|a friendly tone}} about {{topic}}{{suffix|}}.';
		expect(fillTemplate(text, { topic: 'bees', tone: '  ' })).toEqual({
			ok: true,
			text: 'Write in a friendly tone about bees.'
		});
		// A default written once serves the name's other occurrences.
		expect(fillTemplate('{{a|x}} and {{a}}', {})).toEqual({ ok: true, text: 'x and x' });
	});

	it('names the variables that have neither a value nor a default', () => {
		expect(fillTemplate('{{a}} {{b|2}} {{c}} {{a}}', { c: '3' })).toEqual({
			ok: false,
			missing: ['a']
		});
	});

	it('keeps \\{{ and malformed braces as text', () => {
		expect(fillTemplate('JSON: \\{{"a": 1}} and {{x}}', { x: 'y' })).toEqual({
			ok: true,
			text: 'JSON: {{"a": 1}} and y'
		});
		expect(templateVariables('{{}} {{ }} {{{{x}}}} {{9lives}} {single} }} {{open')).toEqual([
			{ name: 'x', fallback: null }
		]);
		expect(fillTemplate('{{{{x}}}}', { x: 'v' })).toEqual({ ok: true, text: '{{v}}' });
		expect(parseTemplate('plain text')).toEqual([{ kind: 'text', text: 'plain text' }]);
	});

	it('accepts a prompt of maximum length and refuses one longer', () => {
		const max = `{{who}} ${'x'.repeat(MAX_PROMPT_TEXT_CHARS - 8)}`;
		expect(max).toHaveLength(MAX_PROMPT_TEXT_CHARS);
		expect(templateProblem(max)).toBeNull();
		const filled = fillTemplate(max, { who: 'me' });
		expect(filled.ok && filled.text.startsWith('me xxx')).toBe(true);
		expect(templateProblem(`${max}x`)).toMatch(/limited to/);
		expect(templateProblem('   ')).toMatch(/Write/);
		const many = Array.from({ length: MAX_PROMPT_VARIABLES + 1 }, (_, i) => `{{v${i}}}`).join('');
		expect(templateProblem(many)).toMatch(/at most/);
	});
});

describe('prompt command names', () => {
	it('takes short lowercase names and refuses built-in commands and odd shapes', () => {
		expect(commandProblem('summarize')).toBeNull();
		expect(commandProblem('fix-grammar2')).toBeNull();
		for (const builtIn of ['model', 'temp', 'system', 'help', 'image', 'reasoning', 'preset'])
			expect(commandProblem(builtIn)).toMatch(/built-in/);
		for (const bad of ['', 'Caps', '2fast', 'with space', 'a'.repeat(33), 'slash/'])
			expect(commandProblem(bad)).toMatch(/lowercase/);
	});
});

import { describe, expect, it } from 'vitest';
import { parseSlash, slashHelp, suggestSlash, SLASH_COMMANDS } from '$lib/shared/slash-commands';

const context = { models: ['llama/qwen2.5-1.5b', 'openai/gpt-4o', 'openai/gpt-4o-mini'] };
const parse = (text: string) => parseSlash(text, context);

describe('slash commands', () => {
	it('parses each command into its action', () => {
		expect(parse('/model gpt-4o')).toEqual({
			kind: 'command',
			action: { kind: 'model', model: 'openai/gpt-4o' }
		});
		expect(parse('/model qwen')).toEqual({
			kind: 'command',
			action: { kind: 'model', model: 'llama/qwen2.5-1.5b' }
		});
		expect(parse('/model openai/gpt-4o-mini')).toEqual({
			kind: 'command',
			action: { kind: 'model', model: 'openai/gpt-4o-mini' }
		});
		expect(parse('/temp 0.7')).toEqual({
			kind: 'command',
			action: { kind: 'temperature', value: 0.7 }
		});
		expect(parse('/temp 2')).toEqual({
			kind: 'command',
			action: { kind: 'temperature', value: 2 }
		});
		expect(parse('/temp 0')).toEqual({
			kind: 'command',
			action: { kind: 'temperature', value: 0 }
		});
		expect(parse('/reasoning HIGH')).toEqual({
			kind: 'command',
			action: { kind: 'reasoning', level: 'high' }
		});
		expect(parse('/system Answer in French')).toEqual({
			kind: 'command',
			action: { kind: 'system', text: 'Answer in French' }
		});
		expect(parse('/system clear')).toEqual({
			kind: 'command',
			action: { kind: 'system', text: null }
		});
		expect(parse('/image a fox in the snow')).toEqual({
			kind: 'command',
			action: { kind: 'image', prompt: 'a fox in the snow' }
		});
		expect(parse('/help')).toEqual({ kind: 'command', action: { kind: 'help' } });
		expect(parse('  /HELP  ')).toEqual({ kind: 'command', action: { kind: 'help' } });
	});

	it('explains bad arguments with the usage, and never yields an action for them', () => {
		for (const bad of [
			'/temp',
			'/temp 2.5',
			'/temp -1',
			'/temp hot',
			'/temp 1e1',
			'/temp 0x1',
			'/reasoning max',
			'/reasoning',
			'/system',
			'/image',
			'/model',
			'/model claude',
			'/model gpt'
		])
			expect(parse(bad), bad).toMatchObject({ kind: 'error' });
		expect(parse('/temp 3')).toEqual({
			kind: 'error',
			message: '/temp <0–2>: Temperature is a number from 0 to 2, e.g. /temp 0.7'
		});
		expect(parse('/model gpt')).toMatchObject({
			message: expect.stringContaining('matches 2 models')
		});
		expect(parse('/model claude')).toMatchObject({
			message: expect.stringContaining('No model matches "claude"')
		});
	});

	it('refuses unknown commands but lets // send a slash as text', () => {
		expect(parse('/frobnicate now')).toMatchObject({
			kind: 'error',
			message: expect.stringContaining('Unknown command /frobnicate')
		});
		expect(parse('//usr/bin is a folder')).toEqual({
			kind: 'message',
			content: '/usr/bin is a folder'
		});
		expect(parse('/usr/bin is a folder')).toEqual({
			kind: 'message',
			content: '/usr/bin is a folder'
		});
		expect(parse('hello /temp 3')).toEqual({ kind: 'message', content: 'hello /temp 3' });
	});

	it('suggests commands as / is typed, then their arguments', () => {
		expect(suggestSlash('/', context).map((s) => s.value)).toEqual(
			SLASH_COMMANDS.map((c) => `/${c.name} `)
		);
		expect(suggestSlash('/re', context).map((s) => s.value)).toEqual(['/reasoning ']);
		expect(suggestSlash('/reasoning m', context).map((s) => s.value)).toEqual([
			'/reasoning medium'
		]);
		expect(suggestSlash('/model gpt', context).map((s) => s.value)).toEqual([
			'/model openai/gpt-4o',
			'/model openai/gpt-4o-mini'
		]);
		expect(suggestSlash('/x', context)).toEqual([]);
		expect(suggestSlash('hello', context)).toEqual([]);
		expect(suggestSlash('//', context)).toEqual([]);
	});

	it('writes /help from the same table', () => {
		expect(slashHelp().map((h) => h.usage)).toEqual(SLASH_COMMANDS.map((c) => c.usage));
	});
});

describe('saved prompts and presets in the command table', () => {
	const prompts = [
		{ id: 1, command: 'summarize', title: 'Summarize a text', text: 'Summarize: {{text}}' },
		{ id: 2, command: 'sql', title: 'Write SQL', text: 'Write SQL for {{task}}' }
	];
	const withPrompts = { ...context, prompts, presets: ['Writing', 'Code review'] };

	it('lists prompts after the commands that match what is typed', () => {
		const all = suggestSlash('/', withPrompts);
		expect(all.map((s) => s.label)).toEqual([
			...SLASH_COMMANDS.map((c) => c.usage),
			'/summarize',
			'/sql'
		]);
		const s = suggestSlash('/s', withPrompts);
		expect(s.map((x) => x.label)).toEqual(['/system <text> | /system clear', '/summarize', '/sql']);
		expect(s[1]).toMatchObject({ detail: 'Summarize a text', prompt: prompts[0] });
		expect(suggestSlash('/s', context).map((x) => x.label)).toEqual([
			'/system <text> | /system clear'
		]);
	});

	it('sends a prompt typed out in full to be filled in, and runs /preset', () => {
		expect(parseSlash('/summarize', withPrompts)).toEqual({ kind: 'prompt', prompt: prompts[0] });
		expect(parseSlash('/preset code', withPrompts)).toEqual({
			kind: 'command',
			action: { kind: 'preset', name: 'Code review' }
		});
		expect(parseSlash('/preset nothing', withPrompts)).toMatchObject({ kind: 'error' });
		expect(suggestSlash('/preset w', withPrompts).map((x) => x.value)).toEqual([
			'/preset Writing',
			'/preset Code review'
		]);
	});
});

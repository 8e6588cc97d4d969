import { describe, expect, it } from 'vitest';
import { makeSnippet, plainText, searchTerms } from '$lib/shared/search';

const textOf = (markdown: string, query: string) =>
	(makeSnippet(markdown, searchTerms(query)) ?? []).map((p) => p.text).join('');

describe('snippets are plain text', () => {
	it('drops markdown syntax around the words', () => {
		const markdown = [
			'## Feeding the **sourdough** starter',
			'',
			'> Keep it *warm* and `fed` daily.',
			'',
			'- Use [bread flour](https://example.com/flour) and ~~tap~~ water',
			'1. Mix with __equal__ parts',
			'',
			'| Flour | Water |',
			'| ----- | ----- |',
			'| 100 g | 100 g |',
			'',
			'```python',
			'starter = feed(flour)',
			'```',
			'![a jar](jar.png) snake_case_name stays'
		].join('\n');
		const text = textOf(markdown, 'sourdough');
		expect(text).toContain('Feeding the sourdough starter');
		expect(text).toContain('Keep it warm and fed daily.');
		expect(text).toContain('Use bread flour and tap water');
		expect(text).not.toMatch(/[#*`>[\]|~]|\]\(|https:/);
		expect(plainText(markdown)).toContain('starter = feed(flour)');
		expect(plainText(markdown)).toContain('a jar snake_case_name stays');
		expect(plainText(markdown)).not.toContain('```');
	});

	it('still marks the hit, and leaves arithmetic and snake_case alone', () => {
		const parts = makeSnippet('Use **sourdough** now', ['sourdough'])!;
		expect(parts).toEqual([
			{ text: 'Use ', hit: false },
			{ text: 'sourdough', hit: true },
			{ text: ' now', hit: false }
		]);
		expect(plainText('2 * 3 * 4 and a_b_c')).toBe('2 * 3 * 4 and a_b_c');
	});
});

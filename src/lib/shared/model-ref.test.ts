import { describe, expect, it } from 'vitest';
import { modelLabel, parseModelRef } from '$lib/shared/model-ref';

describe('model references', () => {
	const providers = [
		{ id: 'llama', name: 'llama.cpp' },
		{ id: 'p5', name: 'OpenRouter' }
	];
	it('reads as the provider display name and the model, never the internal id', () => {
		expect(modelLabel('p5/openai/gpt-4o', providers)).toBe('OpenRouter · openai/gpt-4o');
		expect(modelLabel('llama/hearth-test', providers)).toBe('llama.cpp · hearth-test');
		expect(modelLabel('p9/gone-model', providers)).toBe('gone-model');
	});
	it('parses at the first slash', () => {
		expect(parseModelRef('p5/openai/gpt-4o')).toEqual({ provider: 'p5', model: 'openai/gpt-4o' });
		expect(parseModelRef('nothing')).toBeNull();
	});
});

import { describe, expect, it } from 'vitest';
import { redactSecrets } from '$lib/server/llm/redact';

describe('redactSecrets', () => {
	it('removes the configured key wherever it appears, even without a known shape', () => {
		const key = 'plainSecretWithoutPrefix';
		const out = redactSecrets(`key was ${key}; again: ${encodeURIComponent(key)}.`, [key]);
		expect(out).not.toContain(key);
		expect(out).toContain('[redacted]');
	});

	it.each([
		['Incorrect API key provided: Bearer sk-proj-AbC123xyz987', 'sk-proj-AbC123xyz987'],
		['authorization: Bearer abcdefghij', 'abcdefghij'],
		['invalid x-api-key sk-ant-api03-Zz9_abcdef-123456', 'sk-ant-api03-Zz9_abcdef-123456'],
		['token hth_3f9a0b1c2d3e4f5a6b7c8d9e rejected', 'hth_3f9a0b1c2d3e4f5a6b7c8d9e'],
		[
			'GET /v1/models?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI',
			'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI'
		],
		['{"api_key": "s3cr3t-value"}', 's3cr3t-value'],
		['password=hunter2hunter2&user=bob', 'hunter2hunter2'],
		[
			'digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
			'9f86d081884c7d659a2feaa0c55ad015'
		],
		['blob Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u==', 'Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFi']
	])('redacts key-shaped text in %j', (text, secret) => {
		const out = redactSecrets(text);
		expect(out).not.toContain(secret);
		expect(out).toContain('[redacted]');
	});

	it('leaves ordinary error text alone', () => {
		for (const text of [
			'The model `gpt-4o-mini` does not exist or you do not have access to it.',
			'Rate limit reached for requests per minute. Try again in 20s.',
			'Number of request tokens has exceeded your per-minute rate limit',
			'model llama-3.1-8b-instruct-q4_k_m not found'
		])
			expect(redactSecrets(text, [null, 'short'])).toBe(text);
	});
});

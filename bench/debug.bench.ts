import { it } from 'vitest';
import type { SendResultDto } from '$lib/shared/dto';
import { startLlamaServer } from '../tests/support/llama-server';
import { addUser, signIn, startHearth } from '../tests/support/hearth-server';
it('debug', async () => {
	const llama = await startLlamaServer({ extraArgs: ['--ignore-eos'] });
	const hearth = await startHearth({ LLAMA_URL: llama.url });
	addUser(hearth, 'bench', 'bench-password');
	const client = await signIn(hearth, 'bench', 'bench-password');
	const id = (await client.json<{ id: number }>('POST', '/api/conversations', {})).body.id;
	for (let r = 0; r < 12; r++) {
		const t0 = performance.now();
		const me = await client.call('GET', '/api/me');
		await me.text();
		const t1 = performance.now();
		const sent = await client.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content: 'Tell me about the hearth.',
			parentId: null,
			maxTokens: 64
		});
		const t2 = performance.now();
		const res = await client.call('GET', `/api/jobs/${sent.body.job.id}/events`);
		const t3 = performance.now();
		const reader = res.body!.getReader();
		let first = 0;
		let buf = '';
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			buf += new TextDecoder().decode(value);
			if (!first && buf.includes('event: delta')) first = performance.now();
			if (buf.includes('event: done')) break;
		}
		if (r >= 2)
			process.stdout.write(
				`ROUND me=${(t1 - t0).toFixed(1)} post=${(t2 - t1).toFixed(1)} sseHeaders=${(t3 - t2).toFixed(1)} firstDelta=${(first - t3).toFixed(1)}\n`
			);
	}
	await hearth.stop();
	await llama.stop();
}, 60000);

import path from 'node:path';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The modules a chat page (`/`, `/c/:id`) imports before anything lazy, in one chunk (and their
 * styles in one stylesheet) instead of some thirty small ones: on a phone's network each file is
 * a round trip, and the chat page's first screen waited on six rounds of them. Only the browser
 * build is grouped; whatever the chat pages load on demand (the markdown renderer, the device
 * cache, the composer's extras) stays in its own chunk.
 */
function chatChunk(): Plugin {
	const routes = path.resolve('src/routes');
	const roots = new Set(
		[
			'+layout.svelte',
			'+layout.ts',
			'+error.svelte',
			'(chat)/+layout.svelte',
			'(chat)/+layout.ts',
			'(chat)/+page.svelte',
			'(chat)/c/[id]/+page.svelte',
			'(chat)/c/[id]/+page.ts'
		].map((file) => path.join(routes, file))
	);
	return {
		name: 'hearth:chat-chunk',
		config: (_config, { isSsrBuild }) =>
			isSsrBuild
				? {}
				: {
						build: {
							rollupOptions: {
								output: {
									codeSplitting: {
										groups: [
											{
												name: (id, ctx) => {
													// Statically reachable from a chat route file?
													const seen = new Set<string>();
													const reaches = (module: string): boolean => {
														if (roots.has(module.split('?')[0]!)) return true;
														if (seen.has(module)) return false;
														seen.add(module);
														return (ctx.getModuleInfo(module)?.importers ?? []).some(reaches);
													};
													return reaches(id) ? 'chat' : null;
												}
											}
										]
									}
								}
							}
						}
					}
	};
}

export default defineConfig({
	plugins: [chatChunk(), sveltekit()],
	// The code highlighter's worker loads each grammar on demand: ES module workers split.
	worker: { format: 'es' },
	test: {
		include: ['src/**/*.test.ts', 'tests/integration/**/*.test.ts'],
		environment: 'node',
		globalSetup: ['tests/setup/postgres.ts'],
		testTimeout: 20_000,
		hookTimeout: 60_000
	}
});

import path from 'node:path';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin, Rolldown } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The modules a chat page (`/`, `/c/:id`) imports before anything lazy, in two chunks (and their
 * styles in as many stylesheets) instead of some thirty small ones: on a phone's network each
 * file is a round trip, and the chat page's first screen waited on six rounds of them. `app`
 * holds what the root layout needs (every page loads it: sign-in, settings, admin), `chat` what
 * the chat pages add. Only the browser build is grouped; whatever loads on demand (the markdown
 * renderer, the device cache, sheets) stays in its own chunk.
 */
function chatChunks(): Plugin {
	const routes = path.resolve('src/routes');
	const files = (list: string[]) => new Set(list.map((file) => path.join(routes, file)));
	const groups: [string, Set<string>][] = [
		['app', files(['+layout.svelte', '+layout.ts', '+error.svelte'])],
		[
			'chat',
			files([
				'(chat)/+layout.svelte',
				'(chat)/+layout.ts',
				'(chat)/+page.svelte',
				'(chat)/c/[id]/+page.svelte',
				'(chat)/c/[id]/+page.ts'
			])
		]
	];
	/** Whether `id` is statically imported, directly or not, by one of `roots`. */
	function reaches(id: string, roots: Set<string>, ctx: Rolldown.ChunkingContext): boolean {
		const seen = new Set<string>();
		const walk = (module: string): boolean => {
			if (roots.has(module.split('?')[0]!)) return true;
			if (seen.has(module)) return false;
			seen.add(module);
			return (ctx.getModuleInfo(module)?.importers ?? []).some(walk);
		};
		return walk(id);
	}
	return {
		name: 'hearth:chat-chunks',
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
												name: (id, ctx) =>
													groups.find(([, roots]) => reaches(id, roots, ctx))?.[0] ?? null
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
	plugins: [chatChunks(), sveltekit()],
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

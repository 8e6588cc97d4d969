// `npm run bench`: the benchmarks under bench/ print their figures; they assert nothing.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	test: {
		include: ['bench/**/*.bench.ts'],
		environment: 'node',
		fileParallelism: false,
		testTimeout: 10 * 60_000,
		hookTimeout: 120_000,
		reporters: ['verbose'],
		disableConsoleIntercept: true
	}
});

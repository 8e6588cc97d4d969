// `npm run faults`: the staying-power suite (faults/*.faults.ts) against the built server and a
// real llama-server. Bounded in time, loopback only; prints one table of what each fault did.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	test: {
		include: ['faults/**/*.faults.ts'],
		environment: 'node',
		globalSetup: ['faults/setup.ts'],
		fileParallelism: false,
		testTimeout: 75 * 60_000,
		hookTimeout: 120_000,
		reporters: ['verbose'],
		disableConsoleIntercept: true
	}
});

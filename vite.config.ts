import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
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

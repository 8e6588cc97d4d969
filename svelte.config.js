import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build', precompress: true }),
		alias: { $migrations: 'migrations' },
		// Registered by workbox-window (src/lib/client/pwa.ts), which handles updates.
		serviceWorker: { register: false },
		// Absolute asset paths: the offline shell is served for every URL (/c/1, /c/1/…), so paths
		// relative to the shell's own URL would point nowhere.
		paths: { relative: false },
		// The small stylesheets left beside the chat chunk's (vite.config.ts) go inline in the page:
		// each would be a render-blocking round trip on a phone's network. style-src allows inline.
		inlineStyleThreshold: 2048,
		// Type-check the llama/ helpers, benchmarks and tool configs with the app.
		typescript: {
			config: (tsconfig) => {
				tsconfig.include.push('../llama/**/*.ts', '../bench/**/*.ts', '../*.config.ts');
			}
		},
		// SECURITY.md: strict CSP. SvelteKit adds hashes/nonces for its own inline bootstrap script.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['none'],
				'frame-ancestors': ['none'],
				'form-action': ['self']
			}
		},
		// The origin check for forms and JSON alike is in hooks.server.ts (originCheck): SvelteKit's
		// own answers before any hook, as text, where /api must answer in its JSON error shape.
		csrf: { trustedOrigins: ['*'] }
	}
};

export default config;

// Builds the `hearth` CLI (src/lib/server/cli/main.ts) into build/cli.js, beside the server build.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };

const external = [
	...builtinModules,
	...builtinModules.map((m) => `node:${m}`),
	...Object.keys(pkg.dependencies)
];

// Like adapter-node's server build: `dependencies` stay external (installed in the release),
// everything else (devDependencies) is bundled.
export default defineConfig({
	ssr: { noExternal: true },
	resolve: {
		alias: {
			$lib: fileURLToPath(new URL('./src/lib', import.meta.url)),
			$migrations: fileURLToPath(new URL('./migrations', import.meta.url))
		}
	},
	build: {
		ssr: 'src/lib/server/cli/main.ts',
		outDir: 'build/cli',
		emptyOutDir: true,
		target: 'node20',
		minify: false,
		rollupOptions: {
			external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
			output: { entryFileNames: 'main.js' }
		}
	}
});

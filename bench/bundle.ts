// Bundles a bench entry for the browser with the app's own Vite setup ($lib, TypeScript), as one
// script with every dynamic import inlined, to load into a blank Chromium page.
import path from 'node:path';
import { build, type Rollup } from 'vite';

export async function bundleForBrowser(entry: string): Promise<string> {
	const result = (await build({
		configFile: false,
		logLevel: 'silent',
		resolve: { alias: { $lib: path.resolve('src/lib') } },
		build: {
			write: false,
			minify: true,
			lib: { entry: path.resolve(entry), formats: ['es'], fileName: 'bench' },
			rollupOptions: { output: { inlineDynamicImports: true } }
		}
	})) as Rollup.RollupOutput[];
	const chunk = result[0]!.output.find((o) => o.type === 'chunk')!;
	return (chunk as Rollup.OutputChunk).code;
}

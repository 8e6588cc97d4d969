// Generates the app's icons from one source image, assets/icon.svg, into static/icons/ (see
// pwa-assets.config.js). Runs before every build; does nothing when the icons are up to date.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'assets/icon.svg');
const out = path.join(root, 'static/icons');
const newest = path.join(out, 'maskable-icon-512x512.png');

if (!fs.existsSync(newest) || fs.statSync(newest).mtimeMs < fs.statSync(source).mtimeMs) {
	fs.mkdirSync(out, { recursive: true });
	fs.copyFileSync(source, path.join(out, 'icon.svg'));
	execFileSync(
		process.execPath,
		[
			path.join(root, 'node_modules/@vite-pwa/assets-generator/dist/cli.mjs'),
			'--manifest',
			'false'
		],
		{ cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }
	);
}

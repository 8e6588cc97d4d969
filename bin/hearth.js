#!/usr/bin/env node
// The `hearth` command: runs the CLI bundle that `npm run build` writes to build/cli/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../build/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
	process.stderr.write(
		'hearth: not built yet; run `npm run build` (or `npm start`, which builds)\n'
	);
	process.exit(1);
}
const { run, processIo } = await import(cli);
const code = await run(process.argv.slice(2), processIo);
// serve returns -1 and keeps running; every other command exits with its code.
if (code >= 0) process.exit(code);

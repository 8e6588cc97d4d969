// `npm test`: everything, in order — system packages, lint, types, build, the llama-server build,
// unit and integration tests (SQLite, a real PostgreSQL, a real llama-server), the browser tests in
// Chromium, then the fault suite's CI profile (faults/, about 5 minutes). Ends with one line
// `hearth: N passed, N failed`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-test-'));
const totals = { passed: 0, failed: 0 };

function step(name, command, args, env = {}) {
	process.stdout.write(`\n== ${name}\n`);
	const result = spawnSync(command, args, {
		cwd: root,
		stdio: 'inherit',
		env: { ...process.env, ...env }
	});
	return result.status === 0;
}

function finish(ok) {
	process.stdout.write(`\nhearth: ${totals.passed} passed, ${totals.failed} failed\n`);
	fs.rmSync(reports, { recursive: true, force: true });
	process.exit(ok && totals.failed === 0 ? 0 : 1);
}

function count(file, read) {
	try {
		const { passed, failed } = read(JSON.parse(fs.readFileSync(file, 'utf8')));
		totals.passed += passed;
		totals.failed += failed;
	} catch {
		totals.failed += 1; // a runner that wrote no report did not pass
	}
}

const gates = [
	['system packages', 'bash', ['scripts/install-test-deps.sh']],
	['format and lint', 'npm', ['run', '--silent', 'lint']],
	['types (svelte-check)', 'npm', ['run', '--silent', 'check']],
	['build', 'npm', ['run', '--silent', 'build']],
	[
		'llama-server (built once from the pinned source, then cached)',
		'bash',
		['llama/build-server.sh']
	]
];
for (const [name, command, args] of gates) {
	if (!step(name, command, args)) {
		totals.failed += 1;
		finish(false);
	}
}

const vitestReport = path.join(reports, 'vitest.json');
const unitOk = step('unit and integration tests (vitest)', 'npx', [
	'vitest',
	'run',
	'--reporter=default',
	'--reporter=json',
	`--outputFile.json=${vitestReport}`
]);
count(vitestReport, (r) => ({
	passed: r.numPassedTests,
	failed: r.numFailedTests + r.numPendingTests
}));

const playwrightReport = path.join(reports, 'playwright.json');
const e2eOk = step(
	'browser tests (playwright, chromium)',
	'npx',
	['playwright', 'test', '--reporter=list,json'],
	{
		PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport
	}
);
count(playwrightReport, (r) => ({
	passed: r.stats.expected,
	failed: r.stats.unexpected + r.stats.flaky + r.stats.skipped
}));

const faultsReport = path.join(reports, 'faults.json');
const faultsOk = step(
	'fault suite, CI profile (load, soak, model server, crash loop, database, clients)',
	'npx',
	[
		'vitest',
		'run',
		'--config',
		'vitest.faults.config.ts',
		'--reporter=verbose',
		'--reporter=json',
		`--outputFile.json=${faultsReport}`
	],
	{ FAULTS_PROFILE: 'ci' }
);
count(faultsReport, (r) => ({
	passed: r.numPassedTests,
	failed: r.numFailedTests + r.numPendingTests
}));

finish(unitOk && e2eOk && faultsOk);

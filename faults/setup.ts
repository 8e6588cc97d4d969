// Vitest global setup for the fault suite: a file the cases append rows to, printed as one
// Markdown table when every case has run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { FaultRow } from './table';
import { PROFILE } from './profile';

export default function setup(project: TestProject) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-faults-'));
	const file = path.join(dir, 'rows.jsonl');
	fs.writeFileSync(file, '');
	project.provide('faultsTable', file);
	return () => {
		const rows = fs
			.readFileSync(file, 'utf8')
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as FaultRow);
		process.stdout.write(`\n${table(rows)}\n`);
		fs.rmSync(dir, { recursive: true, force: true });
	};
}

function table(rows: FaultRow[]): string {
	const mb = (v: number | null) => (v === null ? '–' : v.toFixed(1));
	const head = [
		`Hearth fault suite (${PROFILE} profile) on ${os.cpus().length} cores, ` +
			`${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.versions.node}, ${os.platform()} ${os.release()}`,
		'',
		'| fault | what users saw | messages lost | replies duplicated | errors | RSS before → after (MB) | notes |',
		'|---|---|---|---|---|---|---|'
	];
	const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
	return [
		...head,
		...rows.map(
			(r) =>
				`| ${cell(r.fault)} | ${cell(r.usersSaw)} | ${r.lost} | ${r.duplicated} | ${r.errors} | ` +
				`${mb(r.rssBeforeMb)} → ${mb(r.rssAfterMb)} | ${cell(r.notes ?? '')} |`
		)
	].join('\n');
}

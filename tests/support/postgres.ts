// Starts a throwaway PostgreSQL cluster (Debian's postgresql package) on 127.0.0.1 and a free
// port. initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export interface PostgresCluster {
	url: string;
	/** Stops the server (fast: sessions are terminated), stays down `downMs`, starts it again. */
	restart(downMs?: number): Promise<void>;
	stop(): void;
}

function findBinDir(): string {
	const candidates = ['/usr/lib/postgresql'];
	for (const base of candidates) {
		if (!fs.existsSync(base)) continue;
		const versions = fs.readdirSync(base).sort((a, b) => Number(b) - Number(a));
		for (const v of versions) {
			const dir = path.join(base, v, 'bin');
			if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
		}
	}
	throw new Error(
		'PostgreSQL server binaries not found (apt-get install -y postgresql); the PostgreSQL suite cannot run'
	);
}

export async function startPostgres(): Promise<PostgresCluster> {
	const bin = findBinDir();
	const asRoot = process.getuid?.() === 0;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-pg-'));
	const data = path.join(dir, 'data');
	const port = await freePort();
	const run = (cmd: string, args: string[]) => {
		const full = path.join(bin, cmd);
		const result = asRoot
			? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
			: spawnSync(full, args, { encoding: 'utf8' });
		if (result.status !== 0) {
			throw new Error(`${cmd} failed: ${result.stderr || result.stdout || result.error}`);
		}
	};
	if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
	run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
	const start = () =>
		run('pg_ctl', [
			'-D',
			data,
			'-w',
			'-l',
			path.join(dir, 'log'),
			'-o',
			`-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`,
			'start'
		]);
	start();
	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		async restart(downMs = 0) {
			run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
			await new Promise((r) => setTimeout(r, downMs));
			start();
		},
		stop() {
			try {
				run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
			} finally {
				fs.rmSync(dir, { recursive: true, force: true });
			}
		}
	};
}

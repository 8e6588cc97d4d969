// Another process holding Hearth's SQLite file, for the tests of a busy database and the fault
// suite (faults/database.faults.ts).
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Another process holding the SQLite file: `mode` "read" keeps a read transaction open (what a
 * long backup does), "exclusive" holds `BEGIN EXCLUSIVE` (no other writer). Resolves once the
 * transaction is held; `release()` commits and waits for the process to end.
 */
export async function holdSqlite(
	file: string,
	mode: 'read' | 'exclusive'
): Promise<{ child: ChildProcess; release(): Promise<void> }> {
	const script = `
		const Database = require('better-sqlite3');
		const db = new Database(process.argv[1], { fileMustExist: true });
		db.pragma('busy_timeout = 10000');
		if (process.argv[2] === 'exclusive') db.exec('BEGIN EXCLUSIVE');
		else { db.exec('BEGIN'); db.prepare('select count(*) from message').get(); }
		process.stdout.write('held\\n');
		process.stdin.on('data', () => {});
		process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
	`;
	const child = spawn(process.execPath, ['-e', script, file, mode], {
		stdio: ['pipe', 'pipe', 'pipe']
	});
	let output = '';
	await new Promise<void>((resolve, reject) => {
		child.stdout!.on('data', (d) => {
			output += d;
			if (output.includes('held')) resolve();
		});
		child.stderr!.on('data', (d) => (output += d));
		child.once('exit', (code) => reject(new Error(`sqlite holder exited (${code}): ${output}`)));
	});
	return {
		child,
		async release() {
			if (child.exitCode !== null) return;
			const exited = new Promise((r) => child.once('exit', r));
			child.stdin!.end();
			await exited;
		}
	};
}

export interface Io {
	out(line: string): void;
	err(line: string): void;
	readStdin(): Promise<string>;
}

export class CliError extends Error {
	constructor(
		message: string,
		readonly exitCode = 1
	) {
		super(message);
	}
}

export const processIo: Io = {
	out: (line) => process.stdout.write(line + '\n'),
	err: (line) => process.stderr.write(line + '\n'),
	async readStdin() {
		if (process.stdin.isTTY) {
			throw new CliError(
				'--password-stdin reads the password from a pipe, e.g. printf %s "$PW" | hearth …',
				2
			);
		}
		const chunks: Buffer[] = [];
		for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	}
};

/** Splits `args` into positionals and the given boolean flags; unknown flags are a usage error. */
export function parseArgs(args: string[], flags: readonly string[]) {
	const positionals: string[] = [];
	const set = new Set<string>();
	for (const arg of args) {
		if (arg.startsWith('--')) {
			if (!flags.includes(arg)) throw new CliError(`unknown option ${arg}`, 2);
			set.add(arg);
		} else positionals.push(arg);
	}
	return { positionals, has: (flag: string) => set.has(flag) };
}

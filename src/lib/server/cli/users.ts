import { startRuntime, stopRuntime } from '$lib/server/runtime';
import { addUser, removeUser, setPassword, unlockUser } from '$lib/server/services/accounts';
import { listUsers } from '$lib/server/repos/users';
import { resetTwoFactor, setTwoFactorRequired } from '$lib/server/services/two-factor';
import { CliError, parseArgs, type Io } from '$lib/server/cli/io';

async function readPassword(io: Io, requested: boolean): Promise<string> {
	if (!requested)
		throw new CliError('pass the password on standard input with --password-stdin', 2);
	const password = (await io.readStdin()).replace(/\r?\n$/, '');
	if (!password) throw new CliError('no password on standard input', 2);
	return password;
}

function one(positionals: string[], what: string): string {
	if (positionals.length !== 1) throw new CliError(`expected exactly one ${what}`, 2);
	return positionals[0]!;
}

export async function runUserCommand(args: string[], io: Io): Promise<number> {
	const [sub, ...rest] = args;
	if (
		!sub ||
		!['add', 'passwd', 'list', 'remove', 'unlock', 'reset-2fa', 'require-2fa'].includes(sub)
	) {
		throw new CliError(
			'usage: hearth user add|passwd|list|remove|unlock|reset-2fa|require-2fa …',
			2
		);
	}
	const parsed = parseArgs(
		rest,
		sub === 'add' ? ['--admin', '--password-stdin'] : sub === 'passwd' ? ['--password-stdin'] : []
	);
	const name =
		sub === 'list'
			? ''
			: one(parsed.positionals, sub === 'require-2fa' ? 'of on or off' : 'username');
	if (sub === 'require-2fa' && name !== 'on' && name !== 'off')
		throw new CliError('usage: hearth user require-2fa on|off', 2);
	if (sub === 'list' && parsed.positionals.length > 0)
		throw new CliError('user list takes no arguments', 2);
	const password =
		sub === 'add' || sub === 'passwd' ? await readPassword(io, parsed.has('--password-stdin')) : '';
	const { db, loginThrottle } = await startRuntime();
	try {
		if (sub === 'add') {
			const role = parsed.has('--admin') ? 'admin' : 'user';
			const result = await addUser(db, { username: name, password, role });
			if (!result.ok) throw new CliError(result.message);
			io.out(`Created ${result.user.role} ${result.user.username}`);
		} else if (sub === 'passwd') {
			const result = await setPassword(db, name, password);
			if (!result.ok) throw new CliError(result.message);
			io.out(`Password changed for ${name}; their sessions have been ended`);
		} else if (sub === 'remove') {
			const result = await removeUser(db, null, name);
			if (!result.ok) throw new CliError(result.message);
			io.out(`Removed ${name}`);
		} else if (sub === 'reset-2fa') {
			const result = await resetTwoFactor({ db, loginThrottle }, name);
			if (!result.ok) throw new CliError(result.message);
			io.out(
				result.hadTwoFactor
					? `Two-factor sign-in turned off for ${result.username}; they sign in with their password`
					: `${result.username} had no two-factor sign-in; nothing to reset`
			);
		} else if (sub === 'require-2fa') {
			await setTwoFactorRequired(db, name === 'on');
			io.out(
				name === 'on'
					? 'Two-factor sign-in is now required: users without it set it up after signing in'
					: 'Two-factor sign-in is now optional'
			);
		} else if (sub === 'unlock') {
			const result = await unlockUser(db, loginThrottle, name);
			if (!result.ok) throw new CliError(result.message);
			io.out(`Unlocked ${name}: failed sign-ins no longer count against the account`);
		} else {
			const users = await listUsers(db);
			if (users.length === 0)
				io.out('No users yet: open /setup in a browser or run hearth user add');
			for (const u of users) {
				io.out(
					`${u.username.padEnd(32)} ${u.role.padEnd(5)} ${new Date(u.created_at).toISOString()}`
				);
			}
		}
		return 0;
	} finally {
		await stopRuntime();
	}
}

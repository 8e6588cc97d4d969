// argon2id hashing with the OWASP parameters from SECURITY.md and a bounded number of hashes at
// once: a Pi 5 must not be knocked over by a burst of logins. The native argon2 module loads at
// the first hash, not at server start (it is a large part of an idle server's memory).

/** @node-rs/argon2, loaded once on first use. */
let argon2: Promise<typeof import('@node-rs/argon2')> | null = null;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
const MAX_CONCURRENT_HASHES = 2;
const MAX_WAITING_HASHES = 64;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

let running = 0;
const waiting: Array<() => void> = [];

export class HasherBusyError extends Error {
	constructor() {
		super('Too many sign-ins in progress; try again in a moment');
	}
}

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
	if (running >= MAX_CONCURRENT_HASHES) {
		if (waiting.length >= MAX_WAITING_HASHES) throw new HasherBusyError();
		await new Promise<void>((resolve) => waiting.push(resolve));
	} else {
		running++;
	}
	try {
		return await work();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running--;
	}
}

export function hashPassword(password: string): Promise<string> {
	return withSlot(async () => (await loadArgon2()).hash(password, ARGON2_OPTIONS));
}

/** A hash of a random password, verified against when the user is unknown so timing matches. */
let dummyHash: Promise<string> | null = null;

export async function verifyPassword(
	passwordHash: string | null,
	password: string
): Promise<boolean> {
	dummyHash ??= hashPassword(crypto.randomUUID());
	const target = passwordHash ?? (await dummyHash);
	const { verify } = await loadArgon2();
	const ok = await withSlot(() => verify(target, password).catch(() => false));
	return ok && passwordHash !== null;
}

export function checkPasswordPolicy(password: string): string | null {
	if (password.length < PASSWORD_MIN_LENGTH) {
		return `Password must be at least ${PASSWORD_MIN_LENGTH} characters`;
	}
	if (password.length > PASSWORD_MAX_LENGTH) {
		return `Password must be at most ${PASSWORD_MAX_LENGTH} characters`;
	}
	return null;
}

// Account rules shared by the server's checks and the forms' hints.
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const USERNAME_RULE =
	'1–32 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter or digit';

export function normalizeUsername(raw: string): string {
	return raw.trim().toLowerCase();
}

export function checkUsername(username: string): string | null {
	return USERNAME_PATTERN.test(username) ? null : `Username must be ${USERNAME_RULE}`;
}

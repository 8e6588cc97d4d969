// Reading form actions' bodies: a malformed body is a 400 for the form, never a 500.
export async function readForm(request: Request): Promise<FormData | null> {
	let data: FormData;
	try {
		data = await request.formData();
	} catch {
		return null;
	}
	// NUL cannot be stored or looked up (PostgreSQL text refuses it): such a form is unreadable.
	for (const [name, value] of data)
		if (name.includes('\0') || (typeof value === 'string' && value.includes('\0'))) return null;
	return data;
}

export function field(data: FormData, name: string, maxLength = 1024): string {
	const value = data.get(name);
	return typeof value === 'string' ? value.slice(0, maxLength) : '';
}

/** C0/C1 controls and backslashes: browsers strip or rewrite them, turning a path into a host. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNSAFE_NEXT_CHARS = /[\u0000-\u001f\u007f-\u009f\\]/;

/**
 * The path to go to after sign-in: a same-origin path only (no open redirects), percent-encoded so
 * it is always a valid Location header; anything else is `/`.
 */
export function safeNext(next: string | null, origin: string): string {
	if (!next || !next.startsWith('/') || UNSAFE_NEXT_CHARS.test(next)) return '/';
	let target: URL;
	try {
		target = new URL(next, origin);
	} catch {
		return '/';
	}
	const path = target.pathname + target.search + target.hash;
	// `/.//x` resolves to the path `//x`, which a browser reads as the host x.
	return target.origin === origin && !path.startsWith('//') ? path : '/';
}

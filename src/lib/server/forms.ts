// Reading form actions' bodies: a malformed body is a 400 for the form, never a 500.
export async function readForm(request: Request): Promise<FormData | null> {
	try {
		return await request.formData();
	} catch {
		return null;
	}
}

export function field(data: FormData, name: string, maxLength = 1024): string {
	const value = data.get(name);
	return typeof value === 'string' ? value.slice(0, maxLength) : '';
}

/** Only same-site relative paths are followed after sign-in (no open redirects). */
export function safeNext(next: string | null): string {
	return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

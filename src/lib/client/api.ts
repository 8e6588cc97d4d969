// Thin JSON client for the Hearth API: every failure becomes an ApiError with the server's message.
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body)
		});
	} catch {
		throw new ApiError(0, 'offline', 'Cannot reach Hearth — check your connection');
	}
	if (res.status === 204) return undefined as T;
	const data = (await res.json().catch(() => null)) as {
		error?: { code: string; message: string };
	} | null;
	if (!res.ok) {
		throw new ApiError(
			res.status,
			data?.error?.code ?? 'error',
			data?.error?.message ?? `Request failed (${res.status})`
		);
	}
	return data as T;
}

// The `?before=` cursor of the security-event lists: a positive event id, or none.
export function parseBefore(url: URL): number | undefined | null {
	const raw = url.searchParams.get('before');
	if (raw === null) return undefined;
	return /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

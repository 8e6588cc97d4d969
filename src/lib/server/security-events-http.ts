// The `?before=` cursor of the security-event lists: a positive event id, or none.
import { parseId } from '$lib/server/ids';

export function parseBefore(url: URL): number | undefined | null {
	const raw = url.searchParams.get('before');
	if (raw === null) return undefined;
	return parseId(raw);
}

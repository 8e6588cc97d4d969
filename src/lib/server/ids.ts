/** A route's numeric id, or null (which the route answers with 404, like any unknown id). */
export function parseId(raw: string): number | null {
	if (!/^\d{1,15}$/.test(raw)) return null;
	const id = Number(raw);
	return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * The largest id a row has: the id columns are PostgreSQL `integer`. PostgreSQL refuses to
 * compare such a column with a larger number (a 500), so larger ids are refused before any query,
 * on SQLite too (both databases answer alike).
 */
export const MAX_ID = 2_147_483_647;

/** A route's numeric id, or null (which the route answers with 404, like any unknown id). */
export function parseId(raw: string): number | null {
	if (!/^\d{1,15}$/.test(raw)) return null;
	const id = Number(raw);
	return id > 0 && id <= MAX_ID ? id : null;
}

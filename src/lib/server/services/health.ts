// Readiness: whether the parts this instance needs answer.
import type { Database } from '$lib/server/db/database';
import { pingDatabase } from '$lib/server/repos/health';

export type Check = { ok: true } | { ok: false; error: unknown };

export async function checkDatabase(db: Database): Promise<Check> {
	try {
		await pingDatabase(db);
		return { ok: true };
	} catch (error) {
		return { ok: false, error };
	}
}

// Usage of a reply that was stopped, failed or interrupted before the provider reported its
// tokens is counted by Hearth instead (llama.cpp's /tokenize, else from the text's length):
// this marks those rows as estimates.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.alterTable('usage_event')
		.addColumn('estimated', 'integer', (col) => col.notNull().defaultTo(0))
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('usage_event').dropColumn('estimated').execute();
}

// The content policy's guard-model rules and reply screening: a rule may ask a classifier model
// (its "provider/model" or alias in `pattern`), may refuse when that model cannot answer
// (fail_closed), and may also screen finished replies (screen_replies).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.alterTable('policy_rule')
		.addColumn('fail_closed', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
	await db.schema
		.alterTable('policy_rule')
		.addColumn('screen_replies', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('policy_rule').dropColumn('screen_replies').execute();
	await db.schema.alterTable('policy_rule').dropColumn('fail_closed').execute();
}

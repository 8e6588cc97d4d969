// The content policy's kept refusals: the text of a refused message, its sender and when, kept only
// while the admin's "keep the text of refused messages" setting is on (app_setting), bounded per
// rule by the service. Deleted with the rule and with the sender's account.
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema
		.createTable('policy_refusal')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('rule_id', 'integer', (c) =>
			c.notNull().references('policy_rule.id').onDelete('cascade')
		)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('source', 'text', (c) => c.notNull())
		.addColumn('text', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('policy_refusal_rule_id')
		.on('policy_refusal')
		.columns(['rule_id', 'id'])
		.execute();
	await db.schema
		.createIndex('policy_refusal_user')
		.on('policy_refusal')
		.column('user_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('policy_refusal').execute();
}

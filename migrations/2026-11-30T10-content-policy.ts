// The content policy (admin): keyword or regex rules, each with its own refusal message, and a
// count of refusals per rule per day (the refused text itself is never kept).
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema
		.createTable('policy_rule')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('kind', 'text', (c) => c.notNull())
		.addColumn('pattern', 'text', (c) => c.notNull())
		.addColumn('message', 'text', (c) => c.notNull())
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createTable('policy_hit')
		.addColumn('rule_id', 'integer', (c) =>
			c.notNull().references('policy_rule.id').onDelete('cascade')
		)
		.addColumn('day', 'text', (c) => c.notNull())
		.addColumn('count', 'integer', (c) => c.notNull())
		.addPrimaryKeyConstraint('policy_hit_pk', ['rule_id', 'day'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('policy_hit').execute();
	await db.schema.dropTable('policy_rule').execute();
}

// The OpenAI-compatible API: personal keys get a display prefix, an optional per-key rate and an
// opt-in to keep their conversations; usage events keep the key's name as it was; the admin's
// model aliases (a familiar name → a provider's model, default parameters, a system prompt).
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema.alterTable('api_token').addColumn('prefix', 'text').execute();
	await db.schema.alterTable('api_token').addColumn('rate_limit_per_minute', 'integer').execute();
	await db.schema
		.alterTable('api_token')
		.addColumn('save_history', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
	await db.schema.alterTable('usage_event').addColumn('api_key_name', 'text').execute();

	await db.schema
		.createTable('model_alias')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('name', 'text', (c) => c.notNull().unique())
		.addColumn('provider', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('system_prompt', 'text')
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('model_alias').execute();
	await db.schema.alterTable('usage_event').dropColumn('api_key_name').execute();
	for (const column of ['save_history', 'rate_limit_per_minute', 'prefix'])
		await db.schema.alterTable('api_token').dropColumn(column).execute();
}

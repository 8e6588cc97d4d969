// Exact usage and its cost as charged: cached, cache-write and reasoning tokens on each usage event
// (its cost_micro_usd is now written at record time with the price then in force); the admin's
// price overrides, each effective from a date so past costs never move; monthly budgets per user.
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	for (const column of ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens'])
		await db.schema
			.alterTable('usage_event')
			.addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
			.execute();
	await db.schema
		.createIndex('usage_event_created_idx')
		.on('usage_event')
		.column('created_at')
		.execute();

	// Prices in micro-dollars per million tokens (integers: the same sums on both dialects).
	await db.schema
		.createTable('model_price')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('input_micro_usd', 'bigint', (c) => c.notNull())
		.addColumn('cached_input_micro_usd', 'bigint', (c) => c.notNull())
		.addColumn('cache_write_micro_usd', 'bigint', (c) => c.notNull())
		.addColumn('output_micro_usd', 'bigint', (c) => c.notNull())
		.addColumn('effective_from', 'bigint', (c) => c.notNull())
		.addColumn('created_by', 'integer', (c) => c.references('user.id').onDelete('set null'))
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('model_price_model_from_idx')
		.on('model_price')
		.columns(['model', 'effective_from'])
		.execute();

	// null: no budget. New users get the admin's default (app_setting) copied at creation.
	await db.schema.alterTable('user').addColumn('monthly_budget_micro_usd', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('user').dropColumn('monthly_budget_micro_usd').execute();
	await db.schema.dropTable('model_price').execute();
	await db.schema.dropIndex('usage_event_created_idx').execute();
	for (const column of ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens'])
		await db.schema.alterTable('usage_event').dropColumn(column).execute();
}

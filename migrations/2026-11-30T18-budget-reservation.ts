// The /v1 budget reservations, shared by every instance on one database: a running /v1 request's
// estimated cost, counted by the budget check until its usage is recorded. Rows past expires_at
// are ignored (an instance that crashed cannot hold a budget forever).
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema
		.createTable('budget_reservation')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('amount_micro_usd', 'bigint', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('expires_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('budget_reservation_user_expires')
		.on('budget_reservation')
		.columns(['user_id', 'expires_at'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('budget_reservation').execute();
}

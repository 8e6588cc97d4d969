// Password-attempt budgets kept in the database so every instance on one PostgreSQL shares them:
// one row per key (account name, client network, user changing a password) and fixed window.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('auth_throttle')
		.addColumn('key', 'text', (c) => c.primaryKey())
		.addColumn('attempts', 'integer', (c) => c.notNull())
		.addColumn('window_ends_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('auth_throttle_window_idx')
		.on('auth_throttle')
		.column('window_ends_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('auth_throttle').execute();
}

// Web Push subscriptions, one per signed-in browser: the row goes with its session (sign-out,
// revocation, expiry sweep), and an endpoint belongs to one session at a time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('push_subscription')
		.addColumn('session_id', 'text', (c) =>
			c.primaryKey().references('session.id').onDelete('cascade')
		)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('endpoint', 'text', (c) => c.notNull().unique())
		.addColumn('p256dh', 'text', (c) => c.notNull())
		.addColumn('auth', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('push_subscription_user_idx')
		.on('push_subscription')
		.column('user_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('push_subscription').execute();
}

// What happened to accounts — sign-ins (succeeded, failed, locked), two-factor, password, session
// and provider changes — for their owners and the admin to read; swept after 90 days.
import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	const id = (c: ColumnDefinitionBuilder) =>
		pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement();
	await db.schema
		.createTable('security_event')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('username', 'text', (c) => c.notNull())
		.addColumn('kind', 'text', (c) => c.notNull())
		.addColumn('ip', 'text')
		.addColumn('user_agent', 'text')
		.addColumn('detail', 'text')
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('security_event_user_idx')
		.on('security_event')
		.columns(['user_id', 'created_at'])
		.execute();
	await db.schema
		.createIndex('security_event_created_idx')
		.on('security_event')
		.column('created_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('security_event').execute();
}

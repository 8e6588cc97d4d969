// Imports of other apps' histories: one row per uploaded export (a background job with progress
// and the problems found), and the source ids already imported per user, so the same export
// imported twice adds nothing.
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	const id = (c: ColumnDefinitionBuilder) =>
		pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement();

	await db.schema
		.createTable('import')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('state', 'text', (c) =>
			c.notNull().check(sql`state in ('queued', 'running', 'done', 'failed', 'cancelled')`)
		)
		.addColumn('format', 'text')
		.addColumn('file_name', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('total', 'integer')
		.addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('bytes_total', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('problems', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('conversation_ids', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.addColumn('finished_at', 'bigint')
		.execute();
	await db.schema
		.createIndex('import_user_created_idx')
		.on('import')
		.columns(['user_id', 'created_at'])
		.execute();
	await db.schema.createIndex('import_state_idx').on('import').column('state').execute();

	await db.schema
		.createTable('import_source')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('format', 'text', (c) => c.notNull())
		.addColumn('source_id', 'text', (c) => c.notNull())
		.addColumn('conversation_id', 'integer', (c) =>
			c.notNull().references('conversation.id').onDelete('cascade')
		)
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addPrimaryKeyConstraint('import_source_pk', ['user_id', 'format', 'source_id'])
		.execute();
	await db.schema
		.createIndex('import_source_conversation_idx')
		.on('import_source')
		.column('conversation_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('import_source').execute();
	await db.schema.dropTable('import').execute();
}

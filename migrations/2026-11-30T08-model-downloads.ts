// Model downloads (Admin → Local models): one row per GGUF fetched from the Hugging Face hub into
// the models folder, with its progress, so a download survives a reload and a restart (it resumes
// from the partial file with an HTTP Range request).
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	const id = (c: ColumnDefinitionBuilder) =>
		pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement();

	await db.schema
		.createTable('model_download')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('set null'))
		.addColumn('state', 'text', (c) =>
			c.notNull().check(sql`state in ('queued', 'running', 'done', 'failed', 'cancelled')`)
		)
		.addColumn('repo', 'text', (c) => c.notNull())
		.addColumn('file', 'text', (c) => c.notNull())
		.addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('total', 'bigint')
		.addColumn('sha256', 'text')
		.addColumn('error', 'text')
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('model_download_state_idx')
		.on('model_download')
		.column('state')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('model_download').execute();
}

// Attachments: the file's bytes in the database (a backup holds them; every instance on PostgreSQL
// serves them), the text extracted from documents, and which messages carry them. A branch's copied
// messages link the same attachment rows; an attachment goes when no message of its owner links it.
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema
		.createTable('attachment')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('type', 'text', (c) => c.notNull())
		.addColumn('kind', 'text', (c) => c.notNull())
		.addColumn('size', 'integer', (c) => c.notNull())
		.addColumn('data', pg ? 'bytea' : 'blob', (c) => c.notNull())
		.addColumn('text', 'text')
		.addColumn('tokens', 'integer')
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('attachment_user_idx')
		.on('attachment')
		.columns(['user_id', 'created_at'])
		.execute();
	await db.schema
		.createTable('message_attachment')
		.addColumn('message_id', 'integer', (c) =>
			c.notNull().references('message.id').onDelete('cascade')
		)
		.addColumn('attachment_id', 'text', (c) =>
			c.notNull().references('attachment.id').onDelete('cascade')
		)
		.addColumn('position', 'integer', (c) => c.notNull())
		.addPrimaryKeyConstraint('message_attachment_pk', ['message_id', 'attachment_id'])
		.execute();
	await db.schema
		.createIndex('message_attachment_attachment_idx')
		.on('message_attachment')
		.column('attachment_id')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('message_attachment').execute();
	await db.schema.dropTable('attachment').execute();
}

// Saved prompts (a title, a /command and text with {{variables}}) and presets (a named model,
// temperature, reasoning level and system prompt). A row with no user_id is shared with
// everyone and only an admin edits it. Command and preset names are unique per owner; the
// shared ones' uniqueness is the service's (a NULL user_id is distinct in a unique index).
import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	const id = (c: ColumnDefinitionBuilder) =>
		pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement();
	await db.schema
		.createTable('saved_prompt')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('command', 'text', (c) => c.notNull())
		.addColumn('title', 'text', (c) => c.notNull())
		.addColumn('text', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('saved_prompt_owner_command_idx')
		.on('saved_prompt')
		.columns(['user_id', 'command'])
		.unique()
		.execute();
	await db.schema
		.createTable('preset')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('model', 'text')
		.addColumn('temperature', 'double precision')
		.addColumn('reasoning', 'text')
		.addColumn('system_prompt', 'text')
		.addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('preset_owner_name_idx')
		.on('preset')
		.columns(['user_id', 'name'])
		.unique()
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('preset').execute();
	await db.schema.dropTable('saved_prompt').execute();
}

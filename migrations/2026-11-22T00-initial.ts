// The whole product's schema: accounts, conversations as message trees, durable jobs, usage,
// providers with encrypted keys, settings, and full-text search (FTS5 on SQLite, tsvector on PG).
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	const id = (c: ColumnDefinitionBuilder) =>
		pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement();
	const now = (c: ColumnDefinitionBuilder) => c.notNull();

	await db.schema
		.createTable('user')
		.addColumn('id', 'integer', id)
		.addColumn('username', 'text', (c) => c.notNull().unique())
		.addColumn('password_hash', 'text', (c) => c.notNull())
		.addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'user')`))
		.addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('created_at', 'bigint', now)
		.addColumn('updated_at', 'bigint', now)
		.execute();

	await db.schema
		.createTable('session')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('expires_at', 'bigint', (c) => c.notNull())
		.addColumn('created_at', 'bigint', now)
		.addColumn('user_agent', 'text')
		.execute();
	await db.schema.createIndex('session_user_idx').on('session').column('user_id').execute();

	await db.schema
		.createTable('invite')
		.addColumn('id', 'integer', id)
		.addColumn('token_hash', 'text', (c) => c.notNull().unique())
		.addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'user')`))
		.addColumn('created_by', 'integer', (c) => c.references('user.id').onDelete('set null'))
		.addColumn('created_at', 'bigint', now)
		.addColumn('expires_at', 'bigint', (c) => c.notNull())
		.addColumn('used_at', 'bigint')
		.addColumn('used_by', 'integer', (c) => c.references('user.id').onDelete('set null'))
		.execute();

	await db.schema
		.createTable('api_token')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('token_hash', 'text', (c) => c.notNull().unique())
		.addColumn('last4', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', now)
		.addColumn('last_used_at', 'bigint')
		.addColumn('expires_at', 'bigint')
		.addColumn('revoked_at', 'bigint')
		.execute();
	await db.schema.createIndex('api_token_user_idx').on('api_token').column('user_id').execute();

	await db.schema
		.createTable('provider')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('kind', 'text', (c) =>
			c.notNull().check(sql`kind in ('llamacpp', 'openai', 'anthropic', 'openai_compatible')`)
		)
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('base_url', 'text', (c) => c.notNull())
		.addColumn('key_ciphertext', 'text')
		.addColumn('key_last4', 'text')
		.addColumn('key_origin', 'text')
		.addColumn('enabled_models', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('max_concurrency', 'integer')
		.addColumn('allow_internal', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('created_at', 'bigint', now)
		.addColumn('updated_at', 'bigint', now)
		.execute();

	await db.schema
		.createTable('conversation')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('model', 'text')
		.addColumn('provider_id', 'integer', (c) => c.references('provider.id').onDelete('set null'))
		.addColumn('system_prompt', 'text')
		.addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('pinned_at', 'bigint')
		.addColumn('parent_conversation_id', 'integer', (c) =>
			c.references('conversation.id').onDelete('set null')
		)
		.addColumn('branch_message_id', 'integer')
		.addColumn('created_at', 'bigint', now)
		.addColumn('updated_at', 'bigint', now)
		.addColumn('deleted_at', 'bigint')
		.execute();
	await db.schema
		.createIndex('conversation_user_updated_idx')
		.on('conversation')
		.columns(['user_id', 'updated_at'])
		.execute();

	await db.schema
		.createTable('message')
		.addColumn('id', 'integer', id)
		.addColumn('conversation_id', 'integer', (c) =>
			c.notNull().references('conversation.id').onDelete('cascade')
		)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('parent_id', 'integer', (c) => c.references('message.id').onDelete('cascade'))
		.addColumn('role', 'text', (c) =>
			c.notNull().check(sql`role in ('system', 'user', 'assistant')`)
		)
		.addColumn('content', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('reasoning', 'text')
		.addColumn('status', 'text', (c) =>
			c
				.notNull()
				.check(sql`status in ('queued', 'streaming', 'done', 'failed', 'cancelled', 'interrupted')`)
		)
		.addColumn('provider', 'text')
		.addColumn('model', 'text')
		.addColumn('prompt_tokens', 'integer')
		.addColumn('completion_tokens', 'integer')
		.addColumn('cost_micro_usd', 'bigint')
		.addColumn('timings', 'text')
		.addColumn('error', 'text')
		.addColumn('client_id', 'text')
		.addColumn('created_at', 'bigint', now)
		.addColumn('updated_at', 'bigint', now)
		.execute();
	await db.schema
		.createIndex('message_conversation_idx')
		.on('message')
		.columns(['conversation_id', 'id'])
		.execute();
	await db.schema
		.createIndex('message_user_updated_idx')
		.on('message')
		.columns(['user_id', 'updated_at'])
		.execute();
	await db.schema
		.createIndex('message_client_id_idx')
		.on('message')
		.columns(['user_id', 'client_id'])
		.unique()
		.execute();

	await db.schema
		.createTable('job')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('conversation_id', 'integer', (c) =>
			c.notNull().references('conversation.id').onDelete('cascade')
		)
		.addColumn('user_message_id', 'integer', (c) =>
			c.notNull().references('message.id').onDelete('cascade')
		)
		.addColumn('assistant_message_id', 'integer', (c) =>
			c.references('message.id').onDelete('set null')
		)
		.addColumn('provider', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('state', 'text', (c) =>
			c
				.notNull()
				.check(sql`state in ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')`)
		)
		.addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('partial_text', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('partial_reasoning', 'text', (c) => c.notNull().defaultTo(''))
		.addColumn('error_code', 'text')
		.addColumn('error_message', 'text')
		.addColumn('run_after', 'bigint', (c) => c.notNull())
		.addColumn('claimed_by', 'text')
		.addColumn('heartbeat_at', 'bigint')
		.addColumn('created_at', 'bigint', now)
		.addColumn('started_at', 'bigint')
		.addColumn('finished_at', 'bigint')
		.addColumn('updated_at', 'bigint', now)
		.execute();
	await db.schema
		.createIndex('job_claim_idx')
		.on('job')
		.columns(['state', 'run_after', 'id'])
		.execute();
	await db.schema
		.createIndex('job_user_state_idx')
		.on('job')
		.columns(['user_id', 'state'])
		.execute();

	await db.schema
		.createTable('usage_event')
		.addColumn('id', 'integer', id)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('conversation_id', 'integer', (c) =>
			c.references('conversation.id').onDelete('set null')
		)
		.addColumn('message_id', 'integer', (c) => c.references('message.id').onDelete('set null'))
		.addColumn('job_id', 'integer', (c) => c.references('job.id').onDelete('set null'))
		.addColumn('api_token_id', 'integer', (c) => c.references('api_token.id').onDelete('set null'))
		.addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('chat', 'api')`))
		.addColumn('provider', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('cost_micro_usd', 'bigint', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'bigint', now)
		.execute();
	await db.schema
		.createIndex('usage_event_user_created_idx')
		.on('usage_event')
		.columns(['user_id', 'created_at'])
		.execute();

	await db.schema
		.createTable('app_setting')
		.addColumn('key', 'text', (c) => c.primaryKey())
		.addColumn('value', 'text', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', now)
		.execute();

	if (pg) {
		await sql`alter table message add column search tsvector
			generated always as (to_tsvector('simple', content)) stored`.execute(db);
		await sql`create index message_search_idx on message using gin (search)`.execute(db);
	} else {
		// External-content FTS5 keyed by message.id (an INTEGER PRIMARY KEY, so VACUUM keeps it).
		await sql`create virtual table message_fts using fts5(
			content, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(
			db
		);
		await sql`create trigger message_fts_ai after insert on message begin
			insert into message_fts(rowid, content) values (new.id, new.content); end`.execute(db);
		await sql`create trigger message_fts_ad after delete on message begin
			insert into message_fts(message_fts, rowid, content) values ('delete', old.id, old.content); end`.execute(
			db
		);
		await sql`create trigger message_fts_au after update of content on message begin
			insert into message_fts(message_fts, rowid, content) values ('delete', old.id, old.content);
			insert into message_fts(rowid, content) values (new.id, new.content); end`.execute(db);
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	if (!pg) await sql`drop table if exists message_fts`.execute(db);
	for (const table of [
		'app_setting',
		'usage_event',
		'job',
		'message',
		'conversation',
		'provider',
		'api_token',
		'invite',
		'session',
		'user'
	]) {
		await db.schema.dropTable(table).ifExists().execute();
	}
}

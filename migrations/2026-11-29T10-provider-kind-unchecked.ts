// Provider kinds are checked by the code that builds providers (src/lib/server/llm/types.ts,
// PROVIDER_KINDS), not by a CHECK on provider.kind, so a new kind needs no table rebuild. On SQLite a
// CHECK can only go with one last rebuild: conversations' provider_id is kept across it (dropping
// the old table would set it null).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const KINDS_CHECK = sql`kind in ('llamacpp', 'openai', 'anthropic', 'openai_compatible')`;

async function rebuildProvider(db: Kysely<any>, check: boolean) {
	await db.schema
		.createTable('provider_next')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('kind', 'text', (c) => (check ? c.notNull().check(KINDS_CHECK) : c.notNull()))
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('base_url', 'text', (c) => c.notNull())
		.addColumn('key_ciphertext', 'text')
		.addColumn('key_last4', 'text')
		.addColumn('key_origin', 'text')
		.addColumn('enabled_models', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('max_concurrency', 'integer')
		.addColumn('allow_internal', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	await sql`insert into provider_next select * from provider`.execute(db);
	await sql`create temp table provider_links as
		select id, provider_id from conversation where provider_id is not null`.execute(db);
	await db.schema.dropTable('provider').execute();
	await sql`alter table provider_next rename to provider`.execute(db);
	await sql`update conversation set provider_id =
		(select l.provider_id from provider_links l where l.id = conversation.id)
		where id in (select id from provider_links)`.execute(db);
	await sql`drop table provider_links`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) {
		await sql`alter table provider drop constraint if exists provider_kind_check`.execute(db);
		return;
	}
	await rebuildProvider(db, false);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) {
		await sql`alter table provider add constraint provider_kind_check check (${KINDS_CHECK})`.execute(
			db
		);
		return;
	}
	await rebuildProvider(db, true);
}

// The usage rollup: token, cost and reply sums per user, provider, model and local-or-cloud, in
// 15-minute buckets (every time zone's day starts on a quarter hour, so any local day is exact)
// and in UTC days (so long ranges read few rows). Filled here from the existing events; from now
// on the repo writes it in the transaction that writes each event. Also covering indexes for the
// queries that keep reading events (the most expensive conversations, the budget).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;
/** The id of the llama.cpp provider from the configuration (services/providers.ts). */
const CONFIG_LLAMA_ID = 'llama';

const SUMS = [
	'prompt_tokens',
	'completion_tokens',
	'cached_tokens',
	'cache_write_tokens',
	'reasoning_tokens',
	'cost_micro_usd'
] as const;

/** Sums every event into rows of one span (QUARTER_MS or DAY_MS). */
export async function backfill(db: Kysely<any>, spanMs: number): Promise<void> {
	const bucket = sql`(created_at / ${sql.lit(spanMs)}) * ${sql.lit(spanMs)}`;
	const sums = sql.join(SUMS.map((c) => sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`));
	const outer = sql.join(SUMS.map((c) => sql.ref(`g.${c}`)));
	await sql`insert into usage_rollup (user_id, span_ms, bucket_at, provider, model, local,
			${sql.join(SUMS.map((c) => sql.ref(c)))}, replies, estimated)
		select g.user_id, ${sql.lit(spanMs)}, g.bucket_at, g.provider, g.model,
			case when g.provider = ${CONFIG_LLAMA_ID} or g.provider in
				(select 'p' || cast(p.id as text) from provider p where p.kind = 'llamacpp')
				then 1 else 0 end,
			${outer}, g.replies, g.estimated
		from (select user_id, ${bucket} as bucket_at, provider, model, ${sums},
				count(*) as replies, sum(estimated) as estimated
			from usage_event group by user_id, ${bucket}, provider, model) g`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	let table = db.schema
		.createTable('usage_rollup')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('span_ms', 'integer', (c) => c.notNull())
		.addColumn('bucket_at', 'bigint', (c) => c.notNull())
		.addColumn('provider', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('local', 'integer', (c) => c.notNull())
		.addColumn('replies', 'bigint', (c) => c.notNull())
		.addColumn('estimated', 'bigint', (c) => c.notNull());
	for (const column of SUMS) table = table.addColumn(column, 'bigint', (c) => c.notNull());
	// Household-wide ranges read a span and a time range; SQLite keeps the rows in this order.
	table = table.addPrimaryKeyConstraint('usage_rollup_pk', [
		'span_ms',
		'bucket_at',
		'user_id',
		'provider',
		'model',
		'local'
	]);
	await (pg ? table : table.modifyEnd(sql`without rowid`)).execute();
	await db.schema
		.createIndex('usage_rollup_user_idx')
		.on('usage_rollup')
		.columns(['user_id', 'span_ms', 'bucket_at'])
		.execute();
	await backfill(db, QUARTER_MS);
	await backfill(db, DAY_MS);

	// Index-only scans for the sums per conversation and the month's spend. The plain indexes on
	// created_at stay: they keep the export's order (time, then id) without a sort.
	const covered = ['conversation_id', 'cost_micro_usd', 'prompt_tokens', 'completion_tokens'];
	await db.schema
		.createIndex('usage_event_created_cover_idx')
		.on('usage_event')
		.columns(['created_at', ...covered])
		.execute();
	await db.schema
		.createIndex('usage_event_user_created_cover_idx')
		.on('usage_event')
		.columns(['user_id', 'created_at', ...covered])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('usage_event_user_created_cover_idx').execute();
	await db.schema.dropIndex('usage_event_created_cover_idx').execute();
	await db.schema.dropTable('usage_rollup').execute();
}

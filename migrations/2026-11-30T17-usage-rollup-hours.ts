// UTC-hour rows in the usage rollup (span_ms 3600000), next to its quarter-hour and day rows: a
// local day's edge in a zone hours away from UTC (Los Angeles, Kolkata) reads a few hour rows
// instead of many quarter-hour rows. Filled here from the existing events; from now on the repo
// writes them with each event. On PostgreSQL also covering indexes (the rollup is read as a union
// of index ranges: with the sums in the index, no range touches the table's scattered pages).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const HOUR_MS = 3_600_000;
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
const INCLUDED = ['provider', 'model', 'local', ...SUMS, 'replies', 'estimated'];

export async function up(db: Kysely<any>): Promise<void> {
	const bucket = sql`(created_at / ${sql.lit(HOUR_MS)}) * ${sql.lit(HOUR_MS)}`;
	const sums = sql.join(SUMS.map((c) => sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`));
	const outer = sql.join(SUMS.map((c) => sql.ref(`g.${c}`)));
	await sql`insert into usage_rollup (user_id, span_ms, bucket_at, provider, model, local,
			${sql.join(SUMS.map((c) => sql.ref(c)))}, replies, estimated)
		select g.user_id, ${sql.lit(HOUR_MS)}, g.bucket_at, g.provider, g.model,
			case when g.provider = ${CONFIG_LLAMA_ID} or g.provider in
				(select 'p' || cast(p.id as text) from provider p where p.kind = 'llamacpp')
				then 1 else 0 end,
			${outer}, g.replies, g.estimated
		from (select user_id, ${bucket} as bucket_at, provider, model, ${sums},
				count(*) as replies, sum(estimated) as estimated
			from usage_event group by user_id, ${bucket}, provider, model) g`.execute(db);
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
	const included = sql.join(INCLUDED.map((c) => sql.ref(c)));
	await sql`create index usage_rollup_cover_idx on usage_rollup (span_ms, bucket_at)
		include (user_id, ${included})`.execute(db);
	await sql`create index usage_rollup_user_cover_idx on usage_rollup (user_id, span_ms, bucket_at)
		include (${included})`.execute(db);
	await db.schema.dropIndex('usage_rollup_user_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) {
		await db.schema
			.createIndex('usage_rollup_user_idx')
			.on('usage_rollup')
			.columns(['user_id', 'span_ms', 'bucket_at'])
			.execute();
		await db.schema.dropIndex('usage_rollup_user_cover_idx').execute();
		await db.schema.dropIndex('usage_rollup_cover_idx').execute();
	}
	await db.deleteFrom('usage_rollup').where('span_ms', '=', HOUR_MS).execute();
}

// Usage sums per conversation, user and UTC day, so the usage page's most expensive conversations
// read a month as about one row per conversation and day instead of every event (a local period's
// partial UTC days at its edges are still read from the events, through their covering index).
// Filled here from the existing events; from now on the repo writes it in each event's transaction.
// Deleting a conversation deletes its rows (its events stay, without a conversation, in the totals).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

const DAY_MS = 86_400_000;
const SUMS = ['prompt_tokens', 'completion_tokens', 'cost_micro_usd', 'replies', 'estimated'];

export async function backfill(db: Kysely<any>): Promise<void> {
	const day = sql`(created_at / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
	await sql`insert into usage_conversation_day (conversation_id, day_at, user_id,
			${sql.join(SUMS.map((c) => sql.ref(c)))})
		select conversation_id, ${day}, user_id, sum(prompt_tokens), sum(completion_tokens),
			sum(cost_micro_usd), count(*), sum(estimated)
		from usage_event where conversation_id is not null
		group by conversation_id, ${day}, user_id`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	let table = db.schema
		.createTable('usage_conversation_day')
		.addColumn('conversation_id', 'integer', (c) =>
			c.notNull().references('conversation.id').onDelete('cascade')
		)
		.addColumn('day_at', 'bigint', (c) => c.notNull())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'));
	for (const column of SUMS) table = table.addColumn(column, 'bigint', (c) => c.notNull());
	// Keyed by conversation first: a deleted conversation's rows are one index range.
	table = table.addPrimaryKeyConstraint('usage_conversation_day_pk', [
		'conversation_id',
		'day_at',
		'user_id'
	]);
	await (pg ? table : table.modifyEnd(sql`without rowid`)).execute();
	// Covering indexes: everyone's days, and one user's days, read without touching the table.
	const covered = ['conversation_id', 'cost_micro_usd', 'prompt_tokens', 'completion_tokens'];
	await db.schema
		.createIndex('usage_conversation_day_day_idx')
		.on('usage_conversation_day')
		.columns(['day_at', ...covered])
		.execute();
	await db.schema
		.createIndex('usage_conversation_day_user_idx')
		.on('usage_conversation_day')
		.columns(['user_id', 'day_at', ...covered])
		.execute();
	await backfill(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('usage_conversation_day').execute();
}

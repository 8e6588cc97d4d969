// The context window: a provider's own window size (overriding /props or the cloud table), and
// per reply what the model was sent (tokens, window, the messages left out to fit) and why it
// stopped (finish reason; "length" replies can be continued).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('provider').addColumn('context_window', 'integer').execute();
	await db.schema.alterTable('message').addColumn('finish_reason', 'text').execute();
	await db.schema.alterTable('message').addColumn('context_tokens', 'integer').execute();
	await db.schema.alterTable('message').addColumn('context_window', 'integer').execute();
	await db.schema.alterTable('message').addColumn('context_omitted', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	for (const column of ['context_omitted', 'context_window', 'context_tokens', 'finish_reason'])
		await db.schema.alterTable('message').dropColumn(column).execute();
	await db.schema.alterTable('provider').dropColumn('context_window').execute();
}

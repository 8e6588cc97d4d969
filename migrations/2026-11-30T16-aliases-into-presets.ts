// Admin model aliases become shared presets (user_id null): the one thing /v1 takes as a model
// name and the chat offers as a starting point. A preset gains the alias's other default
// parameters (JSON: { max_tokens?, top_p? }; temperature has its own column). On a name clash the
// alias keeps its name, since scripts call it by that name; the shared preset already holding it
// is renamed "<name> (preset)" (then "(preset 2)", …). The model_alias table is dropped.
import { PostgresAdapter, type Kysely } from 'kysely';

const MOVED_PARAMS = ['max_tokens', 'top_p'] as const;

function parsed(json: string): Record<string, unknown> {
	try {
		const value: unknown = JSON.parse(json);
		return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}

async function freeSharedName(db: Kysely<any>, name: string): Promise<string> {
	for (let n = 1; ; n++) {
		const candidate = `${name} (preset${n === 1 ? '' : ` ${n}`})`;
		const taken = await db
			.selectFrom('preset')
			.select('id')
			.where('user_id', 'is', null)
			.where('name', '=', candidate)
			.executeTakeFirst();
		if (!taken) return candidate;
	}
}

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.alterTable('preset')
		.addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
		.execute();
	const aliases = await db.selectFrom('model_alias').selectAll().orderBy('id').execute();
	for (const alias of aliases) {
		const clash = await db
			.selectFrom('preset')
			.select('id')
			.where('user_id', 'is', null)
			.where('name', '=', alias.name)
			.executeTakeFirst();
		if (clash)
			await db
				.updateTable('preset')
				.set({ name: await freeSharedName(db, alias.name) })
				.where('id', '=', clash.id)
				.execute();
		const params = parsed(alias.params);
		const kept = Object.fromEntries(
			MOVED_PARAMS.filter((k) => typeof params[k] === 'number').map((k) => [k, params[k]])
		);
		await db
			.insertInto('preset')
			.values({
				user_id: null,
				name: alias.name,
				model: `${alias.provider}/${alias.model}`,
				temperature: typeof params.temperature === 'number' ? params.temperature : null,
				reasoning: null,
				system_prompt: alias.system_prompt,
				params: JSON.stringify(kept),
				is_default: 0,
				created_at: alias.created_at,
				updated_at: alias.updated_at
			})
			.execute();
	}
	await db.schema.dropTable('model_alias').execute();
}

/**
 * Back to a model_alias table: the shared presets an alias can say exactly (a model, no reasoning
 * level, not the default) move back into it; the others stay presets.
 */
export async function down(db: Kysely<any>): Promise<void> {
	const pg = db.getExecutor().adapter instanceof PostgresAdapter;
	await db.schema
		.createTable('model_alias')
		.addColumn('id', 'integer', (c) =>
			pg ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey().autoIncrement()
		)
		.addColumn('name', 'text', (c) => c.notNull().unique())
		.addColumn('provider', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		.addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('system_prompt', 'text')
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('updated_at', 'bigint', (c) => c.notNull())
		.execute();
	const shared = await db
		.selectFrom('preset')
		.selectAll()
		.where('user_id', 'is', null)
		.where('model', 'is not', null)
		.where('reasoning', 'is', null)
		.where('is_default', '=', 0)
		.orderBy('id')
		.execute();
	for (const preset of shared) {
		const slash = (preset.model as string).indexOf('/');
		if (slash <= 0) continue;
		const params = parsed(preset.params);
		if (preset.temperature !== null) params.temperature = Number(preset.temperature);
		await db
			.insertInto('model_alias')
			.values({
				name: preset.name,
				provider: (preset.model as string).slice(0, slash),
				model: (preset.model as string).slice(slash + 1),
				params: JSON.stringify(params),
				system_prompt: preset.system_prompt,
				created_at: preset.created_at,
				updated_at: preset.updated_at
			})
			.execute();
		await db.deleteFrom('preset').where('id', '=', preset.id).execute();
	}
	await db.schema.alterTable('preset').dropColumn('params').execute();
}

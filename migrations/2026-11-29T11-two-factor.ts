// Two-factor sign-in with an authenticator app (TOTP): the sealed secret and the last time step
// used (so a code cannot be replayed), single-use recovery codes stored hashed, and the short-lived
// "password was right, now the code" step of a sign-in, which is not a session.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('totp_credential')
		.addColumn('user_id', 'integer', (c) =>
			c.primaryKey().references('user.id').onDelete('cascade')
		)
		.addColumn('secret_sealed', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('confirmed_at', 'bigint')
		.addColumn('last_used_step', 'bigint')
		.execute();
	await db.schema
		.createTable('recovery_code')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('code_hash', 'text', (c) => c.notNull())
		.addColumn('used_at', 'bigint')
		.addPrimaryKeyConstraint('recovery_code_pk', ['user_id', 'code_hash'])
		.execute();
	await db.schema
		.createTable('pending_login')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('expires_at', 'bigint', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('pending_login_expires_idx')
		.on('pending_login')
		.column('expires_at')
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('pending_login').execute();
	await db.schema.dropTable('recovery_code').execute();
	await db.schema.dropTable('totp_credential').execute();
}

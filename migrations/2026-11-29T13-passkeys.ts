// Passkeys (WebAuthn credentials) with a name each, and the one-time challenges of their
// registration and sign-in ceremonies.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('passkey')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('public_key', 'text', (c) => c.notNull())
		.addColumn('counter', 'bigint', (c) => c.notNull())
		.addColumn('transports', 'text', (c) => c.notNull())
		.addColumn('created_at', 'bigint', (c) => c.notNull())
		.addColumn('last_used_at', 'bigint')
		.execute();
	await db.schema.createIndex('passkey_user_idx').on('passkey').column('user_id').execute();
	await db.schema
		.createTable('webauthn_challenge')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('challenge', 'text', (c) => c.notNull())
		.addColumn('user_id', 'integer', (c) => c.references('user.id').onDelete('cascade'))
		.addColumn('expires_at', 'bigint', (c) => c.notNull())
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('webauthn_challenge').execute();
	await db.schema.dropTable('passkey').execute();
}

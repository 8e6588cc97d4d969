// The one PostgreSQL connection outside the pool: LISTEN belongs to a session, so the job relay
// (src/lib/server/jobs/relay.ts) holds this dedicated client to hear other instances and to
// publish its own notifications in order. Owns everything `pg` about it; the relay sees strings.
import type pg from 'pg';

export interface Listener {
	/** Publishes on the channel listened to (`pg_notify`, so any payload text is safe). */
	notify(payload: string): Promise<void>;
	end(): Promise<void>;
}

export interface ListenHandlers {
	notification(payload: string): void;
	/** The connection failed or ended; it is not reopened here. */
	lost(error: Error): void;
}

/** Identifiers only: the channel is written into the LISTEN statement. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/** Connects to `url` and listens on `channel`; rejects if either fails. */
export async function listen(
	url: string,
	channel: string,
	handlers: ListenHandlers
): Promise<Listener> {
	if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
	const { default: pgModule } = await import('pg');
	const client: pg.Client = new pgModule.Client({ connectionString: url });
	client.on('notification', (message) => {
		if (message.channel === channel && message.payload) handlers.notification(message.payload);
	});
	client.on('error', (error) => handlers.lost(error));
	client.on('end', () => handlers.lost(new Error('connection ended')));
	try {
		await client.connect();
		await client.query(`LISTEN ${channel}`);
	} catch (error) {
		await client.end().catch(() => {});
		throw error;
	}
	return {
		notify: async (payload) => {
			await client.query('select pg_notify($1, $2)', [channel, payload]);
		},
		end: () => client.end()
	};
}

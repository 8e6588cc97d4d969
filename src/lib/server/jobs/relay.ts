// Job events between instances sharing one PostgreSQL database, over LISTEN/NOTIFY: what this
// process's jobs emit is published (deltas coalesced for a few milliseconds, so not one NOTIFY per
// token), what other instances publish is delivered to this process's subscribers, and a cancel
// reaches the instance that runs the job. One dedicated connection (src/lib/server/db/listener.ts)
// listens and publishes, so this instance's notifications leave in the order they were made.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { listen, type Listener } from '$lib/server/db/listener';
import type { BusEvent, Channel, JobBus } from '$lib/server/jobs/bus';

export const RELAY_CHANNEL = 'hearth_jobs';
const FLUSH_MS = 15;
/** NOTIFY payloads must stay under 8000 bytes; 1000 characters stay under it even if escaped. */
const CHUNK_CHARS = 1000;
const RECONNECT_MS = [250, 1_000, 5_000];

type Wire =
	| { s: string; j: number; k: 'd'; c: Channel; o: number; x: string }
	| { s: string; j: number; k: 'u'; u: Extract<BusEvent, { type: 'usage' }>['usage'] }
	| { s: string; j: number; k: 'e' }
	| { s: string; j: number; k: 'cancel' };

interface Pending {
	text: { offset: number; text: string };
	reasoning: { offset: number; text: string };
}

export interface RelayDeps {
	url: string;
	bus: JobBus;
	log: Logger;
	/** Aborts the job if this process runs it. */
	onCancel(jobId: number): void;
}

export class PgRelay {
	private readonly id = randomUUID().slice(0, 12);
	private client: Listener | null = null;
	/** How many connections were opened: tells the current one from those that went before. */
	private connections = 0;
	private readonly pending = new Map<number, Pending>();
	private flushTimer: NodeJS.Timeout | null = null;
	private reconnectTimer: NodeJS.Timeout | null = null;
	private failures = 0;
	private stopped = false;
	/** Notifications waiting for the connection, sent one at a time, in order. */
	private readonly outbox: string[] = [];
	private sending: Promise<void> | null = null;

	constructor(private readonly deps: RelayDeps) {}

	/** The LISTEN connection is up (readiness reports it; it reconnects by itself). */
	get connected(): boolean {
		return this.client !== null;
	}

	async start() {
		this.deps.bus.tap((jobId, event) => this.publish(jobId, event));
		await this.connect();
	}

	private async connect() {
		const connection = ++this.connections;
		this.client = await listen(this.deps.url, RELAY_CHANNEL, {
			notification: (payload) => this.receive(payload),
			lost: (error) => this.lost(connection, error)
		});
		this.failures = 0;
	}

	private lost(connection: number, error: Error) {
		// Only the connection in use counts (not one that failed while opening, or an old one).
		if (connection !== this.connections || !this.client || this.stopped) return;
		this.client = null;
		// Subscribers here catch up from checkpoints and re-check job states, so a gap heals.
		this.deps.log.warn({ err: error }, 'job relay connection lost; reconnecting');
		this.scheduleReconnect();
	}

	private scheduleReconnect() {
		if (this.stopped || this.reconnectTimer) return;
		const delay = RECONNECT_MS[Math.min(this.failures++, RECONNECT_MS.length - 1)]!;
		this.reconnectTimer = setTimeout(() => {
			this.reconnectTimer = null;
			this.connect().catch((error) => {
				this.deps.log.warn({ err: error }, 'job relay reconnect failed');
				this.scheduleReconnect();
			});
		}, delay);
		this.reconnectTimer.unref();
	}

	private publish(jobId: number, event: BusEvent) {
		if (event.type === 'delta') {
			let entry = this.pending.get(jobId);
			if (!entry) {
				entry = { text: { offset: 0, text: '' }, reasoning: { offset: 0, text: '' } };
				this.pending.set(jobId, entry);
			}
			const slot = entry[event.channel];
			if (!slot.text) slot.offset = event.offset;
			slot.text += event.text;
			this.flushTimer ??= setTimeout(() => this.flushAll(), FLUSH_MS);
			return;
		}
		// The loading state is shown by this instance's subscribers only; others see the text when it comes.
		if (event.type === 'status') return;
		this.flush(jobId);
		this.send(
			event.type === 'usage'
				? { s: this.id, j: jobId, k: 'u', u: event.usage }
				: { s: this.id, j: jobId, k: 'e' }
		);
	}

	/** Asks every instance to stop the job if it runs there. */
	requestCancel(jobId: number) {
		this.send({ s: this.id, j: jobId, k: 'cancel' });
	}

	private flushAll() {
		this.flushTimer = null;
		for (const jobId of [...this.pending.keys()]) this.flush(jobId);
	}

	private flush(jobId: number) {
		const entry = this.pending.get(jobId);
		if (!entry) return;
		this.pending.delete(jobId);
		for (const channel of ['reasoning', 'text'] as const) {
			const { offset, text } = entry[channel];
			for (let at = 0; at < text.length; at += CHUNK_CHARS) {
				this.send({
					s: this.id,
					j: jobId,
					k: 'd',
					c: channel,
					o: offset + at,
					x: text.slice(at, at + CHUNK_CHARS)
				});
			}
		}
	}

	private send(wire: Wire) {
		if (!this.client) return; // Reconnecting: remote subscribers heal from checkpoints.
		this.outbox.push(JSON.stringify(wire));
		this.sending ??= this.sendAll().finally(() => (this.sending = null));
	}

	private async sendAll() {
		for (let payload = this.outbox.shift(); payload; payload = this.outbox.shift()) {
			const client = this.client;
			if (!client) {
				this.outbox.length = 0;
				return;
			}
			try {
				await client.notify(payload);
			} catch (error) {
				this.deps.log.warn({ err: error }, 'job relay publish failed');
			}
		}
	}

	private receive(payload: string) {
		let wire: Wire;
		try {
			wire = JSON.parse(payload) as Wire;
		} catch {
			return;
		}
		if (wire.s === this.id || !Number.isInteger(wire.j)) return;
		if (wire.k === 'd') {
			this.deps.bus.deliver(wire.j, {
				type: 'delta',
				channel: wire.c,
				offset: wire.o,
				text: wire.x
			});
		} else if (wire.k === 'u') {
			this.deps.bus.deliver(wire.j, { type: 'usage', usage: wire.u });
		} else if (wire.k === 'e') {
			this.deps.bus.deliver(wire.j, { type: 'end' });
		} else if (wire.k === 'cancel') {
			this.deps.onCancel(wire.j);
		}
	}

	async stop() {
		this.stopped = true;
		if (this.flushTimer) clearTimeout(this.flushTimer);
		if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
		this.flushAll();
		this.deps.bus.tap(null);
		// The last notifications (replies ended by the shutdown) go out before the connection ends.
		await this.sending;
		const client = this.client;
		this.client = null;
		await client?.end().catch(() => {});
	}
}

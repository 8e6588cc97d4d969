// Fan-out of a running job's output to its SSE subscribers, in this process. The bus also holds
// the job's text so far, so a subscriber that joins mid-reply starts from an exact snapshot.
// With several instances (PostgreSQL), a relay taps what this process's jobs emit and delivers
// what other instances' jobs emit; those jobs have no snapshot here (subscribers use checkpoints).
import type { UsageDto } from '$lib/shared/dto';
import type { ReplyStatus } from '$lib/shared/job-events';

export type Channel = 'text' | 'reasoning';

export type BusEvent =
	| { type: 'delta'; channel: Channel; offset: number; text: string }
	| { type: 'usage'; usage: UsageDto }
	| { type: 'status'; status: ReplyStatus }
	/** The job reached a final state (or went back to the queue): read it from the database. */
	| { type: 'end' };

type Listener = (event: BusEvent) => void;
type Tap = (jobId: number, event: BusEvent) => void;

export class JobBus {
	private readonly output = new Map<
		number,
		{ text: string; reasoning: string; status?: ReplyStatus }
	>();
	private readonly listeners = new Map<number, Set<Listener>>();
	private tapListener: Tap | null = null;

	/** Sees every event of the jobs running in this process (one tap: the relay). */
	tap(listener: Tap | null) {
		this.tapListener = listener;
	}

	/** An event of a job running on another instance, for this process's subscribers. */
	deliver(jobId: number, event: BusEvent) {
		for (const listener of this.listeners.get(jobId) ?? []) listener(event);
	}

	subscribe(jobId: number, listener: Listener): () => void {
		let set = this.listeners.get(jobId);
		if (!set) this.listeners.set(jobId, (set = new Set()));
		set.add(listener);
		return () => {
			set.delete(listener);
			if (set.size === 0) this.listeners.delete(jobId);
		};
	}

	subscriberCount(jobId: number): number {
		return this.listeners.get(jobId)?.size ?? 0;
	}

	private emit(jobId: number, event: BusEvent) {
		this.deliver(jobId, event);
		this.tapListener?.(jobId, event);
	}

	/** A job starts streaming; a Continue starts from the text it extends. */
	begin(jobId: number, from: { text: string; reasoning: string } = { text: '', reasoning: '' }) {
		this.output.set(jobId, { ...from });
	}

	append(jobId: number, channel: Channel, text: string) {
		const out = this.output.get(jobId);
		if (!out || !text) return;
		const offset = out[channel].length;
		out[channel] += text;
		this.emit(jobId, { type: 'delta', channel, offset, text });
	}

	usage(jobId: number, usage: UsageDto) {
		this.emit(jobId, { type: 'usage', usage });
	}

	/** The model is loading (or loaded): kept in the snapshot for subscribers that join later. */
	status(jobId: number, status: ReplyStatus) {
		const out = this.output.get(jobId);
		if (!out) return;
		out.status = status;
		this.emit(jobId, { type: 'status', status });
	}

	snapshot(jobId: number): { text: string; reasoning: string; status?: ReplyStatus } | undefined {
		const out = this.output.get(jobId);
		return out && { ...out };
	}

	end(jobId: number) {
		this.output.delete(jobId);
		this.emit(jobId, { type: 'end' });
	}
}

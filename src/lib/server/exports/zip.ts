// A ZIP written as it is built (fflate's streaming Zip): entries go in one after another and the
// bytes come out as they are compressed, to be drained after every write. Only the entry being
// written is open; entries added while another is open would be held in memory until it ends.
import { Zip, ZipDeflate } from 'fflate';

const DEFLATE_LEVEL = 6;
/** ZIP (DOS) times start in 1980 and end in 2099. */
const ZIP_EPOCH_MS = Date.UTC(1980, 0, 2);
const ZIP_END_MS = Date.UTC(2099, 11, 30);

export class ZipWriter {
	private pending: Uint8Array[] = [];
	private failure: Error | null = null;
	private zip = new Zip((error, chunk) => {
		if (error) this.failure = error;
		else this.pending.push(chunk);
	});
	private encoder = new TextEncoder();

	/** An entry written in pieces; call `end()` before opening or adding the next. */
	open(name: string, mtimeMs: number): { write(text: string): void; end(): void } {
		const entry = new ZipDeflate(name, { level: DEFLATE_LEVEL });
		entry.mtime = new Date(Math.min(Math.max(mtimeMs, ZIP_EPOCH_MS), ZIP_END_MS));
		this.zip.add(entry);
		return {
			write: (text) => entry.push(this.encoder.encode(text)),
			end: () => entry.push(new Uint8Array(0), true)
		};
	}

	add(name: string, text: string, mtimeMs: number) {
		const entry = this.open(name, mtimeMs);
		entry.write(text);
		entry.end();
	}

	end() {
		this.zip.end();
	}

	/** The bytes produced since the last drain. */
	*drain(): Generator<Uint8Array> {
		if (this.failure) throw this.failure;
		const chunks = this.pending;
		this.pending = [];
		yield* chunks;
	}
}

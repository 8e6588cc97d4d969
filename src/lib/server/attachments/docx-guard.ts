// A DOCX is a zip: before mammoth opens one, every entry is inflated once here and counted, with
// yauzl checking each entry against its declared size, so a decompression bomb is refused after
// at most MAX_DOCX_UNCOMPRESSED_BYTES of work and nothing is ever held in memory.
import yauzl from 'yauzl';

export const MAX_DOCX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024;
export const MAX_DOCX_ENTRIES = 5_000;

export type ZipCheck = { ok: true } | { ok: false; reason: 'bomb' | 'corrupt' };

export function checkDocxZip(bytes: Uint8Array): Promise<ZipCheck> {
	return new Promise((resolve) => {
		yauzl.fromBuffer(
			Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
			{ lazyEntries: true, validateEntrySizes: true },
			(error, zip) => {
				if (error || !zip) return resolve({ ok: false, reason: 'corrupt' });
				let total = 0;
				let entries = 0;
				let settled = false;
				const finish = (result: ZipCheck) => {
					if (settled) return;
					settled = true;
					zip.close();
					resolve(result);
				};
				zip.on('error', () => finish({ ok: false, reason: 'corrupt' }));
				zip.on('end', () => finish({ ok: true }));
				zip.on('entry', (entry: yauzl.Entry) => {
					entries += 1;
					total += entry.uncompressedSize;
					if (entries > MAX_DOCX_ENTRIES || total > MAX_DOCX_UNCOMPRESSED_BYTES)
						return finish({ ok: false, reason: 'bomb' });
					if (/\/$/.test(entry.fileName)) return zip.readEntry();
					zip.openReadStream(entry, (streamError, stream) => {
						if (streamError || !stream) return finish({ ok: false, reason: 'corrupt' });
						stream.on('data', () => {});
						// A size other than the declared one (validateEntrySizes) ends here.
						stream.on('error', () => finish({ ok: false, reason: 'bomb' }));
						stream.on('end', () => zip.readEntry());
					});
				});
				zip.readEntry();
			}
		);
	});
}

// The files waiting in the composer: each image is prepared on the device (client/attachments.ts),
// each file uploaded at once when online (so its type and token cost are known before sending),
// or kept as a Blob to go with the message through the outbox when offline. Also the preview
// sheet's state (an image full size, a document's extracted text).
import { api } from '$lib/client/api';
import { isImage, postAttachment, prepareImage } from '$lib/client/attachments';
import type { OutboxFile } from '$lib/client/device-cache';
import {
	MAX_ATTACHMENT_BYTES,
	MAX_ATTACHMENTS_PER_MESSAGE,
	messageLimitProblem,
	type AttachmentDto,
	type AttachmentKind
} from '$lib/shared/attachments';

export interface PendingFile {
	key: string;
	name: string;
	kind: AttachmentKind;
	file: File | null;
	/** An object URL of the prepared image, for its thumbnail. */
	previewUrl: string | null;
	state: 'preparing' | 'uploading' | 'ready' | 'waiting' | 'failed';
	error?: string;
	attachment?: AttachmentDto;
}

export interface Outgoing {
	/** The uploaded ids, when every file is uploaded. */
	ids: string[] | null;
	/** Every file, for the outbox. */
	files: OutboxFile[];
	hasImages: boolean;
}

class AttachmentsStore {
	files = $state<PendingFile[]>([]);
	error = $state<string | null>(null);
	preview = $state<{ attachment: AttachmentDto; text: string | null; error?: string } | null>(null);

	get busy(): boolean {
		return this.files.some((f) => f.state === 'preparing' || f.state === 'uploading');
	}

	get sendable(): boolean {
		return this.files.length > 0 && !this.busy && this.files.every((f) => f.state !== 'failed');
	}

	/** Adds files (from the picker, a paste or a drop), refusing what breaks a limit. */
	add(list: readonly File[]) {
		this.error = null;
		const room = MAX_ATTACHMENTS_PER_MESSAGE - this.files.length;
		if (list.length > room) {
			this.error = `At most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message`;
			list = list.slice(0, Math.max(0, room));
		}
		for (const file of list) {
			if (file.size > MAX_ATTACHMENT_BYTES) {
				this.error = `${file.name}: files can be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`;
				continue;
			}
			if (file.size === 0) {
				this.error = `${file.name}: the file is empty`;
				continue;
			}
			const entry: PendingFile = {
				key: crypto.randomUUID(),
				name: file.name || 'pasted image',
				kind: isImage(file) ? 'image' : 'document',
				file: null,
				previewUrl: null,
				state: 'preparing'
			};
			this.files.push(entry);
			void this.prepare(entry.key, file);
		}
	}

	private entry(key: string): PendingFile | undefined {
		return this.files.find((f) => f.key === key);
	}

	private async prepare(key: string, original: File) {
		let file = original;
		try {
			if (isImage(original)) file = await prepareImage(original);
		} catch (error) {
			return this.update(key, { state: 'failed', error: (error as Error).message });
		}
		const sizes = [...this.files.filter((f) => f.key !== key && f.file).map((f) => f.file!.size)];
		const problem = messageLimitProblem([...sizes, file.size]);
		if (problem) return this.update(key, { state: 'failed', error: problem });
		this.update(key, {
			file,
			name: file.name,
			previewUrl: isImage(file) ? URL.createObjectURL(file) : null,
			state: navigator.onLine ? 'uploading' : 'waiting'
		});
		if (navigator.onLine) await this.upload(key);
	}

	private async upload(key: string) {
		const file = this.entry(key)?.file;
		if (!file) return;
		const result = await postAttachment(fetch, file, file.name);
		if (!this.entry(key)) return; // removed meanwhile
		if (result.ok) this.update(key, { state: 'ready', attachment: result.attachment });
		else if (result.status === 0) this.update(key, { state: 'waiting' });
		else this.update(key, { state: 'failed', error: result.message });
	}

	private update(key: string, patch: Partial<PendingFile>) {
		const entry = this.entry(key);
		if (entry) Object.assign(entry, patch);
	}

	remove(key: string) {
		const entry = this.entry(key);
		if (entry?.previewUrl) URL.revokeObjectURL(entry.previewUrl);
		this.files = this.files.filter((f) => f.key !== key);
		if (this.files.length === 0) this.error = null;
	}

	clear() {
		for (const f of this.files) if (f.previewUrl) URL.revokeObjectURL(f.previewUrl);
		this.files = [];
		this.error = null;
	}

	/** What a send takes; null when there is nothing attached. */
	outgoing(): Outgoing | null {
		if (this.files.length === 0) return null;
		const ready = this.files.every((f) => f.state === 'ready');
		return {
			ids: ready ? this.files.map((f) => f.attachment!.id) : null,
			files: this.files.map((f) => ({
				name: f.name,
				blob: f.file!,
				...(f.attachment ? { id: f.attachment.id } : {})
			})),
			hasImages: this.files.some((f) => f.kind === 'image')
		};
	}

	async openPreview(attachment: AttachmentDto) {
		this.preview = { attachment, text: null };
		if (attachment.kind !== 'document') return;
		try {
			const { text } = await api<{ text: string }>('GET', `/api/attachments/${attachment.id}/text`);
			if (this.preview?.attachment.id === attachment.id) this.preview.text = text;
		} catch (error) {
			if (this.preview?.attachment.id === attachment.id)
				this.preview.error = (error as Error).message;
		}
	}

	closePreview() {
		this.preview = null;
	}
}

export const attachmentsStore = new AttachmentsStore();

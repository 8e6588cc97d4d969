// Files on their way up: images are decoded and drawn again on a canvas at most IMAGE_MAX_SIDE_PX
// on their long side, so what leaves the device is new pixels with no EXIF (no GPS, no camera
// serial) — and orientation applied; uploads are multipart POSTs of one file.
import { IMAGE_JPEG_QUALITY, IMAGE_MAX_SIDE_PX, type AttachmentDto } from '$lib/shared/attachments';

export function isImage(file: Blob): boolean {
	return file.type.startsWith('image/');
}

/** `name` with the extension of `type` (a re-encoded photo.heic is photo.jpg). */
function renamed(name: string, type: string): string {
	const base = name.replace(/\.[^.]*$/, '') || 'image';
	return `${base}.${type === 'image/png' ? 'png' : 'jpg'}`;
}

/** The image downscaled and re-encoded (JPEG; PNG when the source may be transparent). */
export async function prepareImage(file: File): Promise<File> {
	let bitmap: ImageBitmap;
	try {
		bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
	} catch {
		throw new Error(`${file.name}: this image format cannot be read on this device`);
	}
	const scale = Math.min(1, IMAGE_MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
	const width = Math.max(1, Math.round(bitmap.width * scale));
	const height = Math.max(1, Math.round(bitmap.height * scale));
	const canvas = document.createElement('canvas');
	canvas.width = width;
	canvas.height = height;
	canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
	bitmap.close();
	const type = file.type === 'image/png' || file.type === 'image/gif' ? 'image/png' : 'image/jpeg';
	const blob = await new Promise<Blob | null>((resolve) =>
		canvas.toBlob(resolve, type, IMAGE_JPEG_QUALITY)
	);
	if (!blob) throw new Error(`${file.name}: the image could not be prepared`);
	return new File([blob], renamed(file.name, type), { type });
}

export type PostResult =
	| { ok: true; attachment: AttachmentDto }
	/** status 0: no network. */
	| { ok: false; status: number; message: string };

export async function postAttachment(
	fetchFn: typeof fetch,
	file: Blob,
	name: string
): Promise<PostResult> {
	const form = new FormData();
	form.append('file', file, name);
	let res: Response;
	try {
		res = await fetchFn('/api/attachments', {
			method: 'POST',
			credentials: 'same-origin',
			body: form
		});
	} catch {
		return { ok: false, status: 0, message: 'Cannot reach Hearth — check your connection' };
	}
	const data = (await res.json().catch(() => null)) as
		(AttachmentDto & { error?: { message?: string } }) | null;
	if (res.ok && data) return { ok: true, attachment: data };
	return {
		ok: false,
		status: res.status,
		message: data?.error?.message ?? `Upload refused (${res.status})`
	};
}

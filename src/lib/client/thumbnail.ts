// A small copy of an image already shown on the page, for the device's offline copy: drawn from
// the loaded <img> (no second download), long side THUMBNAIL_SIDE_PX, WebP (JPEG where the
// browser cannot encode WebP) — typically a few KB.

/** The long side of a kept thumbnail, in CSS pixels (shown at 72 px, so sharp at 2× density). */
export const THUMBNAIL_SIDE_PX = 160;
const QUALITY = 0.75;

export async function makeThumbnail(image: HTMLImageElement): Promise<Blob> {
	const { naturalWidth: w, naturalHeight: h } = image;
	if (!w || !h) throw new Error('the image is not loaded');
	const scale = Math.min(1, THUMBNAIL_SIDE_PX / Math.max(w, h));
	const canvas = document.createElement('canvas');
	canvas.width = Math.max(1, Math.round(w * scale));
	canvas.height = Math.max(1, Math.round(h * scale));
	const context = canvas.getContext('2d');
	if (!context) throw new Error('no canvas here');
	context.imageSmoothingQuality = 'high';
	context.drawImage(image, 0, 0, canvas.width, canvas.height);
	const webp = await encode(canvas, 'image/webp');
	// A browser that cannot encode WebP hands back PNG: JPEG is smaller then.
	return webp?.type === 'image/webp' ? webp : ((await encode(canvas, 'image/jpeg')) ?? fail());
}

function encode(canvas: HTMLCanvasElement, type: string): Promise<Blob | null> {
	return new Promise((resolve) => canvas.toBlob(resolve, type, QUALITY));
}

function fail(): never {
	throw new Error('the image could not be encoded');
}

// Attachments on a phone (390×844, touch): a photo from the file chooser and a pasted image shown
// as thumbnails, one removed, sent with a document to a vision model (an OpenAI-compatible stub
// serving gpt-4o-mini); the stored photo has no EXIF (so no GPS) and is at most 2048 px; the
// message's chips open the preview sheet; a file attached offline goes out once, when back online;
// an image seen online is kept as a small thumbnail on the device and shows offline.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { hasExif, withExifGps } from '../support/attachment-fixtures';
import { addProvider, ensureUser, saveScreenshot, signIn } from './helpers';
import type { ConversationDto } from '$lib/shared/dto';

const USER = { username: 'attach.phone', password: 'attach-phone-password' };
const PROVIDER = 'Eyes';
const NOTE = '# Receipt note\nThe total is 42 EUR.';

let stub: StubServer;
let model = '';
let context: BrowserContext;
let page: Page;
let conversationId = 0;

test.describe.configure({ mode: 'serial' });

async function api<T>(method: 'POST' | 'GET', url: string, data?: unknown) {
	const origin = new URL(page.url()).origin;
	const response = await page.request.fetch(url, { method, data, headers: { origin } });
	expect(response.ok(), await response.text()).toBe(true);
	return (await response.json()) as T;
}

/** Waits until the service worker is active and controls this page (a first visit needs a reload). */
async function controlled() {
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
	if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null)))
		await page.reload();
	await expect
		.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
		.toBe(true);
}

/** The thumbnails in this user's device copy, as IndexedDB holds them. */
async function keptThumbnails(userId: number) {
	return page.evaluate(
		(name) =>
			new Promise<{ id: string; conversationId: number; size: number; type: string }[]>(
				(resolve) => {
					const open = indexedDB.open(name);
					open.onsuccess = () => {
						const db = open.result;
						if (!db.objectStoreNames.contains('thumbnails')) return resolve([]);
						const all = db.transaction('thumbnails').objectStore('thumbnails').getAll();
						all.onsuccess = () => {
							db.close();
							resolve(
								(
									all.result as { id: string; conversationId: number; size: number; blob: Blob }[]
								).map((t) => ({
									id: t.id,
									conversationId: t.conversationId,
									size: t.size,
									type: t.blob.type
								}))
							);
						};
					};
					open.onerror = () => resolve([]);
				}
			),
		`hearth-u${userId}`
	);
}

const fitsWidth = () => page.evaluate(() => document.documentElement.scrollWidth <= 390);

test.beforeAll(async ({ browser }) => {
	test.setTimeout(90_000);
	stub = await startOpenAiStub();
	ensureUser(USER.username, USER.password, true);
	context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true
	});
	page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await addProvider(page, 'sk-eyes-0000', PROVIDER, `${stub.url}/v1`, true);
	const { providers } = await api<{ providers: { id: string; name: string }[] }>(
		'GET',
		'/api/models'
	);
	model = `${providers.find((p) => p.name === PROVIDER)!.id}/gpt-4o-mini`;
	conversationId = (await api<ConversationDto>('POST', '/api/conversations', { model })).id;
});

test.afterAll(async () => {
	await context.close();
	await stub.close();
});

/** A JPEG drawn by the browser (3000×1500, larger than the 2048 px cap), with EXIF GPS added. */
async function photoWithGps(): Promise<Buffer> {
	const base64 = await page.evaluate(async () => {
		const canvas = document.createElement('canvas');
		canvas.width = 3000;
		canvas.height = 1500;
		const ctx = canvas.getContext('2d')!;
		ctx.fillStyle = '#d9c9a0';
		ctx.fillRect(0, 0, 3000, 1500);
		ctx.fillStyle = '#222';
		ctx.font = '200px sans-serif';
		ctx.fillText('TOTAL 42', 400, 800);
		const blob = await new Promise<Blob>((resolve) =>
			canvas.toBlob((b) => resolve(b!), 'image/jpeg')
		);
		const bytes = new Uint8Array(await blob.arrayBuffer());
		let binary = '';
		for (const byte of bytes) binary += String.fromCharCode(byte);
		return btoa(binary);
	});
	return withExifGps(Buffer.from(base64, 'base64'));
}

test('attach from the chooser, paste, remove, send to a vision model, open the preview', async () => {
	test.setTimeout(60_000);
	await page.goto(`/c/${conversationId}`);
	await expect(
		page.getByLabel('Model').locator('option', { hasText: 'gpt-4o-mini · sees images' })
	).toHaveCount(1);
	const photo = await photoWithGps();
	expect(hasExif(photo)).toBe(true);

	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Attach photos or files' }).tap();
	await (
		await chooser
	).setFiles([
		{ name: 'receipt-from-the-hardware-store.jpg', mimeType: 'image/jpeg', buffer: photo },
		{ name: 'note.md', mimeType: 'text/markdown', buffer: Buffer.from(NOTE) }
	]);
	// A pasted screenshot, as the clipboard hands it over.
	await page.evaluate(async () => {
		const canvas = document.createElement('canvas');
		canvas.width = 64;
		canvas.height = 64;
		canvas.getContext('2d')!.fillRect(0, 0, 64, 64);
		const blob = await new Promise<Blob>((resolve) =>
			canvas.toBlob((b) => resolve(b!), 'image/png')
		);
		const data = new DataTransfer();
		data.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
		document
			.getElementById('composer-input')!
			.dispatchEvent(
				new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })
			);
	});
	const chips = page.getByTestId('attachment-chip');
	await expect(chips).toHaveCount(3);
	await expect(page.getByTestId('attachment-thumb')).toHaveCount(2);
	await expect(chips.filter({ hasText: /uploading|preparing/ })).toHaveCount(0, {
		timeout: 15_000
	});
	await expect(chips.filter({ hasText: 'note.md' })).toContainText('tokens');
	await page.getByRole('button', { name: 'Remove pasted.png' }).tap();
	await expect(chips).toHaveCount(2);
	expect(await fitsWidth()).toBe(true);
	// Two chips share the row, long names and all: both whole in sight, the row not scrolled.
	for (const chip of await chips.all()) await expect(chip).toBeInViewport({ ratio: 1 });
	await saveScreenshot(page, 'attachments-composer');

	await page.getByRole('textbox', { name: 'Message' }).fill('What is the total?');
	await page.getByRole('button', { name: 'Send' }).tap();
	const user = page.locator('article.message.user').last();
	await expect(user.getByTestId('message-attachment')).toHaveCount(2);
	await expect(chips).toHaveCount(0);
	await expect(page.locator('article.message.assistant').last()).toHaveAttribute(
		'data-status',
		'done',
		{
			timeout: 15_000
		}
	);

	// The vision request: the note as a file block in the text, the photo as an image_url part.
	const chat = stub.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
	const last = (chat.body as { messages: { content: unknown }[] }).messages.at(-1)!;
	const parts = last.content as { type: string; text?: string; image_url?: { url: string } }[];
	expect(parts[0]).toMatchObject({ type: 'text' });
	expect(parts[0]!.text).toContain('What is the total?\n\n<file name="note.md">\n# Receipt note');
	expect(parts).toHaveLength(2);
	expect(parts[1]!.image_url!.url).toMatch(/^data:image\/jpeg;base64,/);

	// What the server stored: re-encoded on the phone, no EXIF (no GPS), long side ≤ 2048 px.
	const stored = await api<ConversationDto>('GET', `/api/conversations/${conversationId}`);
	const image = stored.messages
		.find((m) => m.role === 'user')!
		.attachments!.find((a) => a.kind === 'image')!;
	expect(image).toMatchObject({ name: 'receipt-from-the-hardware-store.jpg', type: 'image/jpeg' });
	const file = await page.request.get(`/api/attachments/${image.id}`);
	expect(file.headers()['content-disposition']).toMatch(
		/^attachment; filename="receipt-from-the-hardware-store.jpg"/
	);
	expect(file.headers()['x-content-type-options']).toBe('nosniff');
	expect(file.headers()['content-security-policy']).toContain('sandbox');
	const bytes = await file.body();
	expect(hasExif(bytes)).toBe(false);
	expect(bytes.includes(Buffer.from('GPS'))).toBe(false);
	const size = await page.evaluate(async (id) => {
		const bitmap = await createImageBitmap(await (await fetch(`/api/attachments/${id}`)).blob());
		return [bitmap.width, bitmap.height];
	}, image.id);
	expect(size).toEqual([2048, 1024]);

	// The preview sheet: the document's text, then the image full size.
	await user.getByRole('button', { name: 'Open note.md' }).tap();
	const sheet = page.getByTestId('attachment-preview');
	await expect(sheet.getByTestId('attachment-text')).toContainText('The total is 42 EUR.');
	expect(await fitsWidth()).toBe(true);
	await saveScreenshot(page, 'attachments-preview-document');
	await sheet.getByRole('button', { name: 'Close' }).tap();
	await expect(sheet).toBeHidden();
	await user.getByRole('button', { name: 'Open receipt-from-the-hardware-store.jpg' }).tap();
	await expect(
		sheet.getByRole('img', { name: 'receipt-from-the-hardware-store.jpg' })
	).toBeVisible();
	await expect
		.poll(() => sheet.getByRole('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
		.toBe(2048);
	await saveScreenshot(page, 'attachments-preview-image');
	await sheet.getByRole('button', { name: 'Close' }).tap();
	expect(await fitsWidth()).toBe(true);
	await saveScreenshot(page, 'attachments-thread');

	// An edit of the message keeps its files.
	await user.getByRole('button', { name: 'Edit' }).tap();
	// The edit box grows to show a longer text whole, as the composer does.
	const editBox = page.getByLabel('Edit message');
	await editBox.fill(
		Array.from({ length: 6 }, (_, i) => `Line ${i + 1} of a longer question`).join('\n')
	);
	expect(await editBox.evaluate((el) => el.scrollHeight <= el.clientHeight)).toBe(true);
	await editBox.fill('And the date?');
	await page.getByRole('button', { name: 'Send edit' }).tap();
	const edited = page.locator('article.message.user').last();
	await expect(edited.getByTestId('message-content')).toHaveText('And the date?');
	await expect(edited.getByTestId('message-attachment')).toHaveCount(2);
	await expect(page.locator('article.message.assistant').last()).toHaveAttribute(
		'data-status',
		'done',
		{ timeout: 15_000 }
	);
});

test('a file attached offline waits in the outbox and goes out exactly once', async () => {
	test.setTimeout(60_000);
	await page.goto(`/c/${conversationId}`);
	await expect(page.locator('article.message.user')).toHaveCount(1);
	await context.setOffline(true);
	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Attach photos or files' }).tap();
	await (
		await chooser
	).setFiles([
		{ name: 'offline.txt', mimeType: 'text/plain', buffer: Buffer.from('written on the train') }
	]);
	await expect(page.getByTestId('attachment-chip')).toContainText('sent when online');
	await page.getByRole('textbox', { name: 'Message' }).fill('Read this when you can');
	await page.getByRole('button', { name: 'Send' }).tap();
	const pending = page.getByTestId('outbox-message');
	await expect(pending).toContainText('Read this when you can');
	await expect(pending).toContainText('offline.txt');
	await context.setOffline(false);
	await expect(pending).toHaveCount(0, { timeout: 15_000 });
	await expect(
		page.locator('article.message.user').last().getByTestId('message-attachment')
	).toHaveCount(1);
	await page.reload();
	const stored = await api<ConversationDto>('GET', `/api/conversations/${conversationId}`);
	const sent = stored.messages.filter((m) => m.content === 'Read this when you can');
	expect(sent).toHaveLength(1);
	expect(sent[0]!.attachments?.map((a) => a.name)).toEqual(['offline.txt']);
});

test('offline, the conversation shows the image as the thumbnail kept on the device', async () => {
	test.setTimeout(60_000);
	await controlled();
	const { user } = await api<{ user: { id: number } }>('GET', '/api/me');
	await page.goto(`/c/${conversationId}`);
	const photo = page
		.getByRole('button', { name: 'Open receipt-from-the-hardware-store.jpg' })
		.first();
	await expect
		.poll(() => photo.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
		.toBe(2048);
	const stored = await api<ConversationDto>('GET', `/api/conversations/${conversationId}`);
	const imageId = stored.messages
		.flatMap((m) => m.attachments ?? [])
		.find((a) => a.name === 'receipt-from-the-hardware-store.jpg')!.id;
	await expect.poll(() => keptThumbnails(user.id)).toHaveLength(1);
	const [kept] = await keptThumbnails(user.id);
	expect(kept).toMatchObject({ id: imageId, conversationId, type: 'image/webp' });
	expect(kept!.size).toBeGreaterThan(0);
	expect(kept!.size).toBeLessThan(20_000);

	await context.setOffline(true);
	await page.goto(`/c/${conversationId}`);
	await expect(page.getByTestId('offline')).toBeVisible();
	const thumb = page.getByTestId('kept-thumbnail').first();
	await expect(thumb).toBeVisible();
	await expect(thumb).toHaveAttribute('src', /^blob:/);
	const natural = await thumb.evaluate((img: HTMLImageElement) => [
		img.naturalWidth,
		img.naturalHeight
	]);
	expect(natural).toEqual([160, 80]);
	expect(await fitsWidth()).toBe(true);
	await saveScreenshot(page, 'attachments-offline-thumbnail');

	// The chip still opens the preview: the full file needs the network; the kept copy shows.
	await photo.tap();
	const sheet = page.getByTestId('attachment-preview');
	await expect(sheet.getByTestId('preview-offline')).toContainText('needs the network');
	await expect
		.poll(() =>
			sheet.getByTestId('preview-kept').evaluate((img: HTMLImageElement) => img.naturalWidth)
		)
		.toBe(160);
	expect(await fitsWidth()).toBe(true);
	await saveScreenshot(page, 'attachments-offline-preview');
	await sheet.getByRole('button', { name: 'Close' }).tap();

	// Nothing from /api went into Cache Storage: the thumbnail lives in IndexedDB only.
	const cached = await page.evaluate(async () => {
		const urls: string[] = [];
		for (const name of await caches.keys())
			for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
		return urls;
	});
	expect(cached.length).toBeGreaterThan(0);
	expect(cached.filter((url) => new URL(url).pathname.startsWith('/api/'))).toEqual([]);
	await context.setOffline(false);
});

test('an image dropped for a model that cannot see is stopped before sending', async () => {
	const llama = (
		await api<{ providers: { id: string; kind: string; models: { id: string }[] }[] }>(
			'GET',
			'/api/models'
		)
	).providers.find((p) => p.kind === 'llamacpp')!;
	const blind = (
		await api<ConversationDto>('POST', '/api/conversations', {
			model: `${llama.id}/${llama.models[0]!.id}`
		})
	).id;
	await page.goto(`/c/${blind}`);
	// The composer loads after the page (its own chunk): drop onto it once it is there.
	await expect(page.locator('form.composer')).toBeVisible();
	// Dragged onto the composer from the desktop (a drop event carrying the file).
	await page.evaluate(async () => {
		const canvas = document.createElement('canvas');
		canvas.width = 80;
		canvas.height = 40;
		canvas.getContext('2d')!.fillRect(0, 0, 80, 40);
		const blob = await new Promise<Blob>((resolve) =>
			canvas.toBlob((b) => resolve(b!), 'image/jpeg')
		);
		const data = new DataTransfer();
		data.items.add(new File([blob], 'dropped.jpg', { type: 'image/jpeg' }));
		const form = document.querySelector('form.composer')!;
		form.dispatchEvent(
			new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true })
		);
		form.dispatchEvent(
			new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true })
		);
	});
	await expect(page.getByTestId('attachment-chip')).toContainText('dropped.jpg');
	await expect(
		page.getByTestId('attachment-chip').filter({ hasText: /uploading|preparing/ })
	).toHaveCount(0, {
		timeout: 15_000
	});
	await page.getByRole('textbox', { name: 'Message' }).fill('What is this?');
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(page.getByRole('alert').filter({ hasText: 'does not take images' })).toBeVisible();
	await expect(page.locator('article.message.user')).toHaveCount(0);
	const stored = await api<ConversationDto>('GET', `/api/conversations/${blind}`);
	expect(stored.messages).toHaveLength(0);
	await expect(page.getByTestId('attachment-chip')).toHaveCount(1);
});

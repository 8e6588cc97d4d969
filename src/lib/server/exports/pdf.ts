// A conversation as a PDF (pdfkit): title and dates, then each turn of the branch shown under a
// heading naming who spoke, its Markdown drawn with structure. Standard PDF fonts: Helvetica for
// text, Courier for code (pdfkit cannot read the WOFF files @fontsource ships).
import { setImmediate as nextTurn } from 'node:timers/promises';
import PDFDocument from 'pdfkit';
import type { Conversation, Message } from '$lib/server/db/schema';
import { formatDate, titleOf, turnHeading } from '$lib/server/exports/markdown';
import { BODY_SIZE_PT, FONTS, MarkdownPdf, printable } from '$lib/server/exports/pdf-markdown';

const PAGE_MARGIN_PT = 56;
const TITLE_SIZE_PT = 20;
const META_SIZE_PT = 9;

/** Drawing is synchronous: the event loop gets a turn after each message so others are served. */
export async function conversationPdf(
	conversation: Conversation,
	branch: Message[]
): Promise<Buffer> {
	const title = titleOf(conversation);
	const doc = new PDFDocument({
		size: 'A4',
		margin: PAGE_MARGIN_PT,
		info: { Title: printable(title), Creator: 'Hearth' },
		displayTitle: true
	});
	const chunks: Buffer[] = [];
	const done = new Promise<Buffer>((resolve, reject) => {
		doc.on('data', (chunk: Buffer) => chunks.push(chunk));
		doc.on('end', () => resolve(Buffer.concat(chunks)));
		doc.on('error', reject);
	});
	const md = new MarkdownPdf(doc);

	doc.font(FONTS.bold).fontSize(TITLE_SIZE_PT).text(printable(title));
	doc.moveDown(0.3);
	const meta = [
		`Created ${formatDate(conversation.created_at)}`,
		`Updated ${formatDate(conversation.updated_at)}`,
		...(conversation.model ? [`Model ${conversation.model}`] : [])
	];
	doc
		.font(FONTS.body)
		.fontSize(META_SIZE_PT)
		.fillColor('#555555')
		.text(printable(meta.join('  ·  ')));
	doc.fillColor('black').moveDown(1);

	if (conversation.system_prompt) {
		md.heading('System prompt', 2);
		md.markdown(conversation.system_prompt);
	}
	for (const m of branch) {
		md.heading(turnHeading(m), 2);
		doc
			.font(FONTS.italic)
			.fontSize(META_SIZE_PT)
			.fillColor('#555555')
			.text(formatDate(m.created_at));
		doc.fillColor('black').fontSize(BODY_SIZE_PT).moveDown(0.4);
		if (m.reasoning)
			md.markdown(
				m.reasoning
					.split('\n')
					.map((l) => `> ${l}`)
					.join('\n')
			);
		md.markdown(m.content || '*(empty)*');
		if (m.status !== 'done') md.markdown(`*(${m.status})*`);
		await nextTurn();
	}
	doc.end();
	return done;
}

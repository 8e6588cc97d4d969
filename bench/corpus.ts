// Deterministic, realistic chat text for the benchmarks: prose with emphasis and links, lists,
// tables and fenced code in a few languages, in the proportions assistants tend to write.
import { mulberry32 } from '../llama/test-model';
const WORDS = (
	'the a of to and in is it that for you with on as are this be can your have or not by from ' +
	'use will an if at one all so more when which their there also each about how into time ' +
	'model server reply stream token cache phone network offline search branch conversation ' +
	'kitchen garden bread starter flour water yeast oven recipe travel train ticket museum ' +
	'function value array string number object promise async await error result config query'
).split(' ');

/** A seeded PRNG, so every run writes the same corpus. */
export const random = mulberry32;

/** Words with a Zipf-like skew: a few very common, a long tail of rare ones. */
export function words(rand: () => number, count: number, vocabulary = WORDS): string {
	const out: string[] = [];
	for (let i = 0; i < count; i++) {
		const rank = Math.floor(vocabulary.length * Math.pow(rand(), 2.2));
		out.push(vocabulary[rank]!);
	}
	return out.join(' ');
}

const CODE: Record<string, string> = {
	ts: 'export async function load(id: number): Promise<string> {\n\tconst res = await fetch(`/api/items/${id}`);\n\tif (!res.ok) throw new Error("failed");\n\treturn (await res.json()).name;\n}',
	python:
		'def mean(values):\n    """Average of a list."""\n    if not values:\n        return 0\n    return sum(values) / len(values)',
	bash: 'for f in *.log; do\n  gzip -9 "$f" && echo "packed $f"\ndone'
};

/** One assistant reply of about `chars` characters of markdown. */
export function markdownReply(rand: () => number, chars: number): string {
	const parts: string[] = [];
	let size = 0;
	const push = (text: string) => {
		parts.push(text);
		size += text.length;
	};
	while (size < chars) {
		const kind = rand();
		if (kind < 0.5) {
			push(
				`${words(rand, 25)} **${words(rand, 2)}** ${words(rand, 20)} _${words(rand, 2)}_ ` +
					`[a link](https://example.com/${Math.floor(rand() * 1000)}) ${words(rand, 15)}.\n\n`
			);
		} else if (kind < 0.7) {
			const items = Array.from({ length: 4 }, () => `- ${words(rand, 8)} \`${words(rand, 1)}\``);
			push(`${items.join('\n')}\n\n`);
		} else if (kind < 0.8) {
			const rows = Array.from({ length: 3 }, () => `| ${words(rand, 2)} | ${words(rand, 3)} |`);
			push(`| name | notes |\n|---|---|\n${rows.join('\n')}\n\n`);
		} else {
			const langs = Object.keys(CODE);
			const lang = langs[Math.floor(rand() * langs.length)]!;
			push(`\`\`\`${lang}\n${CODE[lang]}\n\`\`\`\n\n`);
		}
	}
	return parts.join('');
}

/** The reply every conversation ends with: prose, then a Python block to be highlighted. */
export const LAST_REPLY = `Here is the final answer.\n\n\`\`\`python\n${CODE.python}\n\`\`\`\n`;

// Export files of other chat apps, generated from their formats as documented (no real data):
// ChatGPT (mapping trees, single and 2026 sharded layouts), Claude, Open WebUI, LibreChat and the
// llama.cpp web UI. Used by the import service tests, the e2e test and the bench.

const T0 = 1_760_000_000; // seconds, as ChatGPT writes create_time

type Node = { id: string; message: unknown; parent: string | null; children: string[] };

function chatgptMessage(
	id: string,
	role: string,
	content: Record<string, unknown>,
	extra: Record<string, unknown> = {}
) {
	return {
		id,
		author: { role, name: null, metadata: {} },
		create_time:
			extra.create_time === undefined ? T0 + Number(id.replace(/\D/g, '') || 0) : extra.create_time,
		content,
		status: 'finished_successfully',
		recipient: extra.recipient ?? 'all',
		metadata: extra.metadata ?? {}
	};
}

const text = (s: string) => ({ content_type: 'text', parts: [s] });

function linkNodes(nodes: Node[]): Record<string, Node> {
	const mapping: Record<string, Node> = {};
	for (const n of nodes) mapping[n.id] = n;
	for (const n of nodes) if (n.parent && mapping[n.parent]) mapping[n.parent]!.children.push(n.id);
	return mapping;
}

const node = (id: string, parent: string | null, message: unknown): Node => ({
	id,
	parent,
	message,
	children: []
});

/**
 * A conversation with everything the importer must handle: a null title, hidden system and
 * context nodes, a code call and its execution output, a citation, an image, a hidden tool node
 * between two messages, two branches (the older one is current) and a message without model_slug.
 */
export function chatgptRichConversation(id = 'conv-rich') {
	const mapping = linkNodes([
		node('root', null, null),
		node(
			'sys',
			'root',
			chatgptMessage('sys', 'system', text(''), {
				metadata: { is_visually_hidden_from_conversation: true }
			})
		),
		node(
			'ctx',
			'sys',
			chatgptMessage('ctx', 'user', { content_type: 'user_editable_context', user_profile: 'x' })
		),
		node(
			'u1',
			'ctx',
			chatgptMessage(
				'u1',
				'user',
				{
					content_type: 'multimodal_text',
					parts: [
						{ content_type: 'image_asset_pointer', asset_pointer: 'file-service://file-img1' },
						'Plot a sine wave'
					]
				},
				{ metadata: { attachments: [{ id: 'file-img1', name: 'chart.png' }] } }
			)
		),
		node(
			'a1',
			'u1',
			chatgptMessage(
				'a1',
				'assistant',
				{ content_type: 'code', language: 'python', text: 'print(42)' },
				{
					recipient: 'python',
					metadata: { model_slug: 'gpt-4o' }
				}
			)
		),
		node(
			't1',
			'a1',
			chatgptMessage('t1', 'tool', { content_type: 'execution_output', text: '42' })
		),
		node(
			'a2',
			't1',
			chatgptMessage('a2', 'assistant', text('Here it is, see the docs \u3010source\u3011.'), {
				metadata: {
					model_slug: 'gpt-4o',
					content_references: [
						{
							matched_text: '\u3010source\u3011',
							items: [{ url: 'https://example.com/sine', title: 'Sine [docs]' }]
						},
						{ matched_text: 'x', items: [{ url: 'javascript:alert(1)', title: 'bad' }] }
					]
				}
			})
		),
		node('u2', 'a2', chatgptMessage('u2', 'user', text('Make it red'))),
		node('a3', 'u2', chatgptMessage('a3', 'assistant', text('Red it is'))),
		node(
			'browse',
			'a2',
			chatgptMessage('browse', 'tool', { content_type: 'tether_browsing_display', result: '' })
		),
		node('u4', 'browse', chatgptMessage('u4', 'user', text('Make it blue'))),
		node(
			'a5',
			'u4',
			chatgptMessage('a5', 'assistant', text('Blue it is'), { metadata: { model_slug: 'o3' } })
		)
	]);
	return {
		id,
		conversation_id: id,
		title: null,
		create_time: T0,
		update_time: T0 + 100,
		default_model_slug: 'gpt-4o-mini',
		current_node: 'a3',
		mapping
	};
}

/** Parent links that loop (y → z → y) below a normal start. */
export function chatgptCyclicConversation(id = 'conv-cycle') {
	const mapping = linkNodes([
		node('x1', null, chatgptMessage('x1', 'user', text('Start'))),
		node('y2', 'z3', chatgptMessage('y2', 'assistant', text('Loop one'))),
		node('z3', 'y2', chatgptMessage('z3', 'user', text('Loop two')))
	]);
	return { id, title: 'Cycle', create_time: T0, update_time: T0, current_node: 'x1', mapping };
}

/** A plain line of `messages` user/assistant turns. */
export function chatgptLinearConversation(id: string, messages: number, words = 12) {
	const nodes: Node[] = [node(`${id}-root`, null, null)];
	let parent = `${id}-root`;
	for (let i = 0; i < messages; i++) {
		const nid = `${id}-m${i}`;
		const role = i % 2 === 0 ? 'user' : 'assistant';
		const body = Array.from({ length: words }, (_, w) => `word${(i * 7 + w) % 997}`).join(' ');
		nodes.push(node(nid, parent, chatgptMessage(nid, role, text(`${role} ${i}: ${body}`))));
		parent = nid;
	}
	return {
		id,
		title: `Conversation ${id}`,
		create_time: T0,
		update_time: T0 + messages,
		default_model_slug: 'gpt-4o',
		current_node: parent,
		mapping: linkNodes(nodes)
	};
}

/** ChatGPT's 2026 layout: conversations split over conversations-NNN.json, plus a manifest. */
export function chatgptShards(conversations: unknown[], perShard: number) {
	const files: { name: string; data: string }[] = [];
	for (let i = 0; i * perShard < conversations.length; i++)
		files.push({
			name: `conversations-${String(i).padStart(3, '0')}.json`,
			data: JSON.stringify(conversations.slice(i * perShard, (i + 1) * perShard))
		});
	files.push({
		name: 'export_manifest.json',
		data: JSON.stringify({ version: 2, conversation_files: files.map((f) => f.name) })
	});
	return files;
}

export function claudeExport() {
	const msg = (uuid: string, sender: string, body: string, parent: string | null, extra = {}) => ({
		uuid,
		text: body,
		content: [{ type: 'text', text: body }],
		sender,
		created_at: '2025-03-01T10:00:00.000Z',
		updated_at: '2025-03-01T10:00:00.000Z',
		attachments: [],
		files: [],
		...(parent !== undefined
			? { parent_message_uuid: parent ?? '00000000-0000-4000-8000-000000000000' }
			: {}),
		...extra
	});
	return [
		{
			uuid: 'claude-1',
			name: 'Tea brewing',
			created_at: '2025-03-01T10:00:00.000Z',
			updated_at: '2025-03-01T11:00:00.000Z',
			chat_messages: [
				msg('c1', 'human', 'How long to steep green tea?', null, {
					files: [{ file_name: 'kettle.jpg' }]
				}),
				msg('c2', 'assistant', 'About two minutes.', 'c1', {
					content: [
						{ type: 'thinking', thinking: 'Green tea is delicate.' },
						{ type: 'text', text: 'About two minutes.' }
					]
				}),
				msg('c3', 'human', 'And black tea?', 'c2'),
				msg('c4', 'assistant', 'Four minutes.', 'c3'),
				msg('c5', 'human', 'And oolong?', 'c2'),
				msg('c6', 'assistant', 'Three minutes.', 'c5')
			]
		},
		{
			uuid: 'claude-2',
			name: '',
			created_at: '2025-03-02T10:00:00.000Z',
			updated_at: '2025-03-02T10:00:00.000Z',
			chat_messages: [
				{ uuid: 'd1', text: 'Hello Claude', sender: 'human', created_at: '2025-03-02T10:00:00Z' },
				{ uuid: 'd2', text: 'Hello!', sender: 'assistant', created_at: '2025-03-02T10:00:01Z' }
			]
		}
	];
}

export function openWebUiExport() {
	const m = (
		id: string,
		parentId: string | null,
		childrenIds: string[],
		role: string,
		content: string,
		ts: number,
		model?: string
	) => ({
		id,
		parentId,
		childrenIds,
		role,
		content,
		timestamp: ts,
		...(model ? { model } : {})
	});
	return [
		{
			id: 'owui-1',
			user_id: 'user-1',
			title: 'Bread recipe',
			chat: {
				id: '',
				title: 'Bread recipe',
				models: ['llama3.1:8b'],
				history: {
					currentId: 'o4',
					messages: {
						o1: m('o1', null, ['o2'], 'user', 'How do I bake bread?', 1_740_000_000),
						o2: m(
							'o2',
							'o1',
							['o3', 'o5'],
							'assistant',
							'Flour, water, salt, yeast.',
							1_740_000_010,
							'llama3.1:8b'
						),
						o3: m('o3', 'o2', ['o4'], 'user', 'How long to knead?', 1_740_000_020),
						o4: m('o4', 'o3', [], 'assistant', 'Ten minutes.', 1_740_000_030, 'llama3.1:8b'),
						o5: m('o5', 'o2', ['o6'], 'user', 'Gluten free?', 1_740_000_040),
						o6: m('o6', 'o5', [], 'assistant', 'Use a GF blend.', 1_740_000_050, 'qwen2.5:7b')
					}
				},
				messages: []
			},
			created_at: 1_740_000_000,
			updated_at: 1_740_000_050,
			pinned: true
		},
		{
			id: 'owui-2',
			title: 'New Chat',
			chat: {
				messages: [
					{ id: 'p1', role: 'user', content: 'Old style chat', timestamp: 1_700_000_000 },
					{ id: 'p2', role: 'assistant', content: 'Linear reply', timestamp: 1_700_000_001 }
				]
			},
			created_at: 1_700_000_000,
			updated_at: 1_700_000_001
		}
	];
}

const NO_PARENT = '00000000-0000-0000-0000-000000000000';

export function libreChatExport(recursive = false) {
	const m = (
		messageId: string,
		parentMessageId: string,
		user: boolean,
		body: string,
		minute: number,
		children?: unknown[]
	) => ({
		messageId,
		parentMessageId,
		conversationId: 'lc-1',
		sender: user ? 'User' : 'GPT-4o',
		isCreatedByUser: user,
		text: body,
		model: user ? null : 'gpt-4o',
		createdAt: `2025-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
		...(children ? { children } : {})
	});
	const flat = [
		m('l1', NO_PARENT, true, 'Name a planet', 0),
		m('l2', 'l1', false, 'Mars', 1),
		m('l3', 'l1', false, 'Venus', 2),
		m('l4', 'l3', true, 'Tell me more', 3),
		m('l5', 'l4', false, 'It is hot.', 4)
	];
	const nested = [
		m('l1', NO_PARENT, true, 'Name a planet', 0, [
			m('l2', 'l1', false, 'Mars', 1, []),
			m('l3', 'l1', false, 'Venus', 2, [
				m('l4', 'l3', true, 'Tell me more', 3, [m('l5', 'l4', false, 'It is hot.', 4, [])])
			])
		])
	];
	return {
		conversationId: 'lc-1',
		title: 'Planets',
		endpoint: 'openAI',
		exportAt: '2025-05-02T00:00:00.000Z',
		branches: true,
		recursive,
		messages: recursive ? nested : flat
	};
}

export function llamaCppExport() {
	const m = (
		id: string,
		parent: string,
		children: string[],
		role: string,
		content: string,
		timestamp: number,
		extra = {}
	) => ({
		id,
		convId: 'conv-llama',
		type: role === 'system' && content === '' ? 'root' : 'text',
		timestamp,
		role,
		content,
		parent,
		children,
		...extra
	});
	return {
		conv: { id: 'conv-llama', name: 'Haiku', lastModified: 1_750_000_100_000, currNode: 'k3' },
		messages: [
			m('k0', '', ['k1'], 'system', '', 1_750_000_000_000),
			m('k1', 'k0', ['k2', 'k3'], 'user', 'Write a haiku', 1_750_000_001_000),
			m('k2', 'k1', [], 'assistant', 'Old pond, frog jumps', 1_750_000_002_000, {
				model: 'qwen3-0.6b'
			}),
			m('k3', 'k1', [], 'assistant', 'Autumn moonlight', 1_750_000_003_000, {
				thinking: 'Seasons.',
				model: 'qwen3-0.6b'
			})
		]
	};
}

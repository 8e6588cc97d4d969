import { describe, expect, it } from 'vitest';
import { chatPagePreloads } from './page-preloads';

describe('chatPagePreloads', () => {
	it('names the user and the conversation for an open conversation', () => {
		expect(chatPagePreloads('/(chat)/c/[id]', { id: '42' })).toBe(
			'</api/me>; rel=preload; as=fetch; crossorigin, ' +
				'</api/conversations/42>; rel=preload; as=fetch; crossorigin'
		);
	});

	it('names only the user on the conversation list and for an id the page never fetches', () => {
		const me = '</api/me>; rel=preload; as=fetch; crossorigin';
		expect(chatPagePreloads('/(chat)', {})).toBe(me);
		for (const id of ['0', '-3', '1.5', 'abc']) {
			expect(chatPagePreloads('/(chat)/c/[id]', { id })).toBe(me);
		}
	});

	it('names nothing for other pages, the offline shell included', () => {
		for (const route of ['/(chat)/shell', '/settings', '/login', null]) {
			expect(chatPagePreloads(route, {})).toBeNull();
		}
	});
});

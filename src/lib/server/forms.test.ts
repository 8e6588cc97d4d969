import { describe, expect, it } from 'vitest';
import { safeNext } from '$lib/server/forms';

const ORIGIN = 'http://hearth.test:3000';

describe('safeNext', () => {
	it.each([
		['/settings', '/settings'],
		['/c/12?branch=3#m-4', '/c/12?branch=3#m-4'],
		['/über', '/%C3%BCber'],
		['/a/../b', '/b']
	])('keeps the same-origin path %j', (next, expected) => {
		expect(safeNext(next, ORIGIN)).toBe(expected);
	});

	it.each([
		['tab', '/\t/evil.example'],
		['CR/LF', '/\r\nSet-Cookie: x=1'],
		['LF', '/\n/evil.example'],
		['NUL', '/\0/evil.example'],
		['C1 control', '/\u0085/evil.example'],
		['protocol-relative', '//evil.example'],
		['slash backslash', '/\\evil.example'],
		['double backslash', '\\\\evil.example'],
		['absolute URL', 'https://evil.example/'],
		['scheme', 'javascript:alert(1)'],
		['dot segment to //', '/.//evil.example'],
		['dot-dot segment to //', '/..//evil.example'],
		['encoded dot to //', '/%2e//evil.example'],
		['not a path', 'evil.example'],
		['empty', ''],
		['absent', null]
	])('sends a hostile next (%s) to /', (_, next) => {
		expect(safeNext(next, ORIGIN)).toBe('/');
	});

	it.each([
		'/%09/evil.example',
		'/%0d%0a/x',
		'/日本語?q=ü',
		'/\u2028/evil.example',
		'/x?next=//evil.example',
		'/%5cevil.example'
	])('%j becomes a printable path on this origin', (next) => {
		const result = safeNext(next, ORIGIN);
		expect(result).toMatch(/^\/(?!\/)[\x21-\x7e]*$/);
		expect(new URL(result, ORIGIN).origin).toBe(ORIGIN);
	});
});

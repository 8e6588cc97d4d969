import { describe, expect, it } from 'vitest';
import { describeUserAgent } from '$lib/shared/user-agent';

describe('describeUserAgent', () => {
	it.each([
		[
			'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
			'Chrome 131',
			'Linux'
		],
		[
			'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
			'Edge 131',
			'Windows'
		],
		[
			'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
			'Safari 17',
			'iOS'
		],
		[
			'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
			'Chrome 131',
			'iOS'
		],
		[
			'Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
			'Samsung Internet 26',
			'Android'
		],
		[
			'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0',
			'Firefox 133',
			'macOS'
		],
		[
			'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
			'Safari 18',
			'macOS'
		],
		['curl/8.5.0', 'curl 8', 'Unknown system']
	])('%s', (ua, browser, os) => {
		expect(describeUserAgent(ua)).toEqual({ browser, os });
	});

	it('labels a missing or odd header as unknown', () => {
		expect(describeUserAgent(null)).toEqual({ browser: 'Unknown browser', os: 'Unknown system' });
		expect(describeUserAgent('<script>')).toEqual({
			browser: 'Unknown browser',
			os: 'Unknown system'
		});
	});
});

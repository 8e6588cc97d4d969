// Browser and operating system names from a User-Agent header, for the list of signed-in devices.
// A short ordered table rather than a full parser: the answer is a label for a person, not a
// decision, so "Unknown" is an acceptable outcome. Order matters: Edge and Opera say "Chrome" too,
// Chrome on iOS says "Safari", and every Android browser says "Linux".

export interface DeviceLabel {
	browser: string;
	os: string;
}

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
	[/\b(?:OPR|OPiOS)\/(\d+)/, 'Opera'],
	[/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
	[/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
	[/\bCriOS\/(\d+)/, 'Chrome'],
	[/\bHeadlessChrome\/(\d+)/, 'Chrome'],
	[/\bChrom(?:e|ium)\/(\d+)/, 'Chrome'],
	[/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
	[/^curl\/(\d+)/, 'curl']
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\biPhone\b/, 'iOS'],
	[/\biPad\b/, 'iPadOS'],
	[/\bAndroid\b/, 'Android'],
	[/\bCrOS\b/, 'ChromeOS'],
	[/\bWindows\b/, 'Windows'],
	[/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
	[/\bLinux\b/, 'Linux']
];

export function describeUserAgent(userAgent: string | null | undefined): DeviceLabel {
	const ua = userAgent ?? '';
	let browser = 'Unknown browser';
	for (const [pattern, name] of BROWSERS) {
		const match = pattern.exec(ua);
		if (match) {
			browser = `${name} ${match[1]}`;
			break;
		}
	}
	const os = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'Unknown system';
	return { browser, os };
}

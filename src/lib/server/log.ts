// The one pino logger. Never log secrets, tokens, passwords or message contents.
import pino from 'pino';
import { getConfig } from '$lib/server/config';

let logger: pino.Logger | null = null;

export function getLogger(): pino.Logger {
	logger ??= pino({
		level: getConfig().logLevel,
		base: { app: 'hearth' },
		redact: {
			paths: ['password', '*.password', 'token', '*.token', 'apiKey', '*.apiKey'],
			censor: '[redacted]'
		}
	});
	return logger;
}

/** Paths whose segments are secrets (invite links): logged with the secret replaced. */
const SECRET_PATH_SEGMENTS = [/^(\/invite\/)[^/]+/];

export function loggablePath(pathname: string): string {
	return SECRET_PATH_SEGMENTS.reduce(
		(path, pattern) => path.replace(pattern, '$1[redacted]'),
		pathname
	);
}

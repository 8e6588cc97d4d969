// The one pino logger. Never log secrets, tokens, passwords or message contents.
import pino from 'pino';
import { getConfig } from '$lib/server/config';
import { redactSecrets } from '$lib/server/llm/redact';

let logger: pino.Logger | null = null;

export function getLogger(): pino.Logger {
	logger ??= pino({
		level: getConfig().logLevel,
		base: { app: 'hearth' },
		redact: {
			paths: [
				'password',
				'*.password',
				'token',
				'*.token',
				'apiKey',
				'*.apiKey',
				'secret',
				'*.secret',
				'authorization',
				'*.authorization',
				'headers.authorization',
				'*.headers.authorization',
				'headers.cookie',
				'*.headers.cookie'
			],
			censor: '[redacted]'
		},
		serializers: { err: serializeError }
	});
	return logger;
}

/**
 * Errors are logged with key-shaped strings removed from their message and stack: an exception
 * can carry upstream text (a provider echoing the Authorization header) that nobody redacted.
 */
export function serializeError(error: unknown): unknown {
	const plain = pino.stdSerializers.err(error as Error) as unknown;
	if (!plain || typeof plain !== 'object') return plain;
	const fields = plain as { message?: unknown; stack?: unknown };
	if (typeof fields.message === 'string') fields.message = redactSecrets(fields.message);
	if (typeof fields.stack === 'string') fields.stack = redactSecrets(fields.stack);
	return fields;
}

/** Paths whose segments are secrets (invite links): logged with the secret replaced. */
const SECRET_PATH_SEGMENTS = [/^(\/invite\/)[^/]+/];

export function loggablePath(pathname: string): string {
	return SECRET_PATH_SEGMENTS.reduce(
		(path, pattern) => path.replace(pattern, '$1[redacted]'),
		pathname
	);
}

// The server's secret key (for encrypting stored provider keys): from HEARTH_SECRET, or a random
// key file generated on first start with mode 0600. Never stored in the database.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '$lib/server/config';

const KEY_BYTES = 32;
export const SECRET_KEY_FILE = 'secret.key';

export function loadSecretKey(config: Config): Buffer {
	if (config.hearthSecret) return createHash('sha256').update(config.hearthSecret).digest();
	const file = path.join(config.dataDir, SECRET_KEY_FILE);
	fs.mkdirSync(config.dataDir, { recursive: true });
	try {
		fs.writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', {
			mode: 0o600,
			flag: 'wx'
		});
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	}
	if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
	const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
	if (key.length !== KEY_BYTES) {
		throw new Error(`${file} does not hold a ${KEY_BYTES}-byte base64 key`);
	}
	return key;
}

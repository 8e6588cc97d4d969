// The server's secret key (for encrypting stored provider keys): from HEARTH_SECRET, or a random
// key file generated on first start with mode 0600. Never stored in the database.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '$lib/server/config';
import { ensurePrivateDir, PRIVATE_FILE_MODE, restrictMode } from '$lib/server/private-files';

const KEY_BYTES = 32;
export const SECRET_KEY_FILE = 'secret.key';

export function loadSecretKey(config: Config): Buffer {
	if (config.hearthSecret) return createHash('sha256').update(config.hearthSecret).digest();
	const file = path.join(config.dataDir, SECRET_KEY_FILE);
	ensurePrivateDir(config.dataDir);
	try {
		fs.writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', {
			mode: PRIVATE_FILE_MODE,
			flag: 'wx'
		});
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	}
	restrictMode(file, PRIVATE_FILE_MODE);
	const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
	if (key.length !== KEY_BYTES) {
		throw new Error(`${file} does not hold a ${KEY_BYTES}-byte base64 key`);
	}
	return key;
}

// Files Hearth writes hold conversations and keys: directories 0700 and files 0600, whatever the
// process umask, and an older install's looser modes are tightened at start.
import fs from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Takes away every permission beyond `mode`; a missing file or one we do not own is left alone. */
export function restrictMode(file: string, mode: number): void {
	try {
		if ((fs.statSync(file).mode & 0o777 & ~mode) !== 0) fs.chmodSync(file, mode);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== 'ENOENT' && code !== 'EPERM') throw error;
	}
}

/** Creates `dir` (and missing parents) 0700, and tightens it if it already existed. */
export function ensurePrivateDir(dir: string): void {
	fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
	restrictMode(dir, PRIVATE_DIR_MODE);
}

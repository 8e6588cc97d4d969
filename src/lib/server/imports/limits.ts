// Bounds on an import upload, shared by the upload route, the body-limit hook and `hearth serve`.

/** The most one upload may hold, all files together. */
export const MAX_IMPORT_UPLOAD_BYTES = 2 * 1024 ** 3;
/** ChatGPT's 2026 layout can be picked as its conversations-NNN.json files. */
export const MAX_IMPORT_FILES = 200;

// A test-only fault: "the disk is full", switched on and off from outside the process by a flag
// file. Set HEARTH_TEST_DISK_FULL_FLAG=/some/file (deliberately not a documented setting; unset in
// production, where this plugin is not installed at all): while that file exists, every INSERT,
// UPDATE and DELETE fails as SQLite fails on a full disk (SQLITE_FULL), before it reaches the
// database. Reads still work, as they do on a full disk. Used by faults/database.faults.ts.
import fs from 'node:fs';
import type {
	KyselyPlugin,
	PluginTransformQueryArgs,
	PluginTransformResultArgs,
	QueryResult,
	RootOperationNode,
	UnknownRow
} from 'kysely';

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);

export class DiskFullError extends Error {
	readonly code = 'SQLITE_FULL';
	constructor() {
		super('database or disk is full (injected by HEARTH_TEST_DISK_FULL_FLAG)');
	}
}

export class DiskFullPlugin implements KyselyPlugin {
	constructor(private readonly flagFile: string) {}

	transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
		if (WRITES.has(node.kind) && fs.existsSync(this.flagFile)) throw new DiskFullError();
		return node;
	}

	async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
		return result;
	}
}

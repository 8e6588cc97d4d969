// The layer and one-owner-library rules of docs/ARCHITECTURE.md fail the lint when broken: each
// case plants a violating file (under the path of a real one, so the type-aware rules see it)
// and runs ESLint with the repository's own eslint.config.js.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, { filePath });
	return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('lint rules for layers and libraries', { timeout: 300_000 }, () => {
	it.each([
		[
			'a route importing a repo',
			'src/routes/healthz/+server.ts',
			"import { listActiveJobs } from '$lib/server/repos/jobs';\nexport const GET = listActiveJobs;\n",
			'no-restricted-imports'
		],
		[
			'a route importing the database',
			'src/routes/healthz/+server.ts',
			"import { createDatabase } from '../../lib/server/db/database';\nexport const GET = createDatabase;\n",
			'no-restricted-imports'
		],
		[
			'a repo importing a service',
			'src/lib/server/repos/health.ts',
			"import { checkDatabase } from '$lib/server/services/health';\nexport const f = checkDatabase;\n",
			'no-restricted-imports'
		],
		[
			'a service importing a route',
			'src/lib/server/services/health.ts',
			"import { GET } from '../../../routes/healthz/+server';\nexport const f = GET;\n",
			'no-restricted-imports'
		],
		[
			'a component importing dexie',
			'src/lib/components/ui/Field.svelte',
			"<script lang=\"ts\">\n\timport Dexie from 'dexie';\n\tconsole.log(new Dexie('x'));\n</script>\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'a service importing prom-client',
			'src/lib/server/services/health.ts',
			"import client from 'prom-client';\nexport const r = new client.Registry();\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'the job relay importing pg (its connection is db/listener.ts)',
			'src/lib/server/jobs/relay.ts',
			"import pg from 'pg';\nexport const c = new pg.Client();\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'a store reading the device cache with Dexie',
			'src/lib/stores/offline.svelte.ts',
			"import Dexie from 'dexie';\nexport const d = new Dexie('x');\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'a service importing web-push',
			'src/lib/server/services/health.ts',
			"import webPush from 'web-push';\nexport const keys = webPush.generateVAPIDKeys();\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'a service importing kysely',
			'src/lib/server/services/health.ts',
			"import { sql } from 'kysely';\nexport const q = sql`select 1`;\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'raw SQL in the db folder',
			'src/lib/server/db/errors.ts',
			"import { sql } from 'kysely';\nexport const q = sql`select 1`;\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'the OpenAI SDK outside llm/',
			'src/lib/server/services/health.ts',
			"import OpenAI from 'openai';\nexport const c = OpenAI;\n",
			'@typescript-eslint/no-restricted-imports'
		],
		[
			'browser code importing server code',
			'src/lib/client/theme.ts',
			"import { getConfig } from '$lib/server/config';\nexport const c = getConfig;\n",
			'no-restricted-imports'
		],
		[
			'a promise left floating',
			'src/lib/server/services/health.ts',
			'async function ping(): Promise<void> {}\nexport function f() {\n\tping();\n}\n',
			'@typescript-eslint/no-floating-promises'
		],
		[
			'a switch that forgets a case',
			'src/lib/server/services/health.ts',
			"export function f(x: 'a' | 'b'): number {\n\tswitch (x) {\n\t\tcase 'a':\n\t\t\treturn 1;\n\t}\n\treturn 0;\n}\n",
			'@typescript-eslint/switch-exhaustiveness-check'
		]
	])('fails %s', async (_name, filePath, code, rule) => {
		expect(await ruleIds(filePath, code)).toContain(rule);
	});

	it('passes the same imports where the layers allow them', async () => {
		expect(
			await ruleIds(
				'src/lib/server/services/health.ts',
				"import { pingDatabase } from '$lib/server/repos/health';\nexport const f = pingDatabase;\n"
			)
		).toEqual([]);
		expect(
			await ruleIds(
				'src/lib/server/repos/health.ts',
				"import { sql } from 'kysely';\nexport const q = sql`select 1`;\n"
			)
		).toEqual([]);
		expect(
			await ruleIds(
				'src/lib/client/device-cache.ts',
				"import Dexie from 'dexie';\nexport const d = new Dexie('x');\n"
			)
		).toEqual([]);
	});
});

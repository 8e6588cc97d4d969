import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

// The layer and library rules of docs/ARCHITECTURE.md, enforced. Two rules so that they never
// override each other: `no-restricted-imports` for the server layers and browser/server split,
// `@typescript-eslint/no-restricted-imports` for the one-owner libraries.

const SOURCE = ['src/**/*.{ts,js,svelte}'];
const TESTS = ['**/*.test.ts', '**/*.spec.ts'];

/** Each outside library and the only files that may import it. */
const LIBRARY_OWNERS = [
	{ libs: ['openai', '@anthropic-ai/sdk'], owners: ['src/lib/server/llm/**'] },
	{ libs: ['dexie'], owners: ['src/lib/client/device-cache.ts'] },
	{ libs: ['prom-client'], owners: ['src/lib/server/metrics.ts'] },
	{ libs: ['marked'], owners: ['src/lib/client/markdown/**', 'src/lib/server/exports/**'] },
	{ libs: ['shiki', 'dompurify'], owners: ['src/lib/client/markdown/**'] },
	{ libs: ['kysely'], owners: ['src/lib/server/db/**', 'src/lib/server/repos/**'] },
	// The relay's LISTEN connection is src/lib/server/db/listener.ts's.
	{ libs: ['better-sqlite3', 'pg'], owners: ['src/lib/server/db/**', 'src/lib/server/repos/**'] },
	{ libs: ['pino'], owners: ['src/lib/server/log.ts'], types: true },
	{ libs: ['undici'], owners: ['src/lib/server/net/guarded-fetch.ts'] },
	{ libs: ['@node-rs/argon2'], owners: ['src/lib/server/auth/password.ts'] },
	{ libs: ['workbox-*'], owners: ['src/service-worker.ts', 'src/lib/client/pwa.ts'] },
	{ libs: ['pdfkit', 'fflate'], owners: ['src/lib/server/exports/**'] },
	// Attachments: typing from bytes and document text (extract.ts loads unpdf/mammoth in a worker).
	{ libs: ['file-type', 'unpdf', 'mammoth'], owners: ['src/lib/server/attachments/**'] },
	{ libs: ['web-push'], owners: ['src/lib/server/push/web-push.ts'] }
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\\\*/g, '[^/]*');

/** The rule for the files matching `area`: every library restricted but the ones it owns. */
function libraryRule(area) {
	const patterns = LIBRARY_OWNERS.filter((entry) => !entry.owners.includes(area)).flatMap((entry) =>
		entry.libs.map((lib) => ({
			regex: `^${escape(lib)}(/.*)?$`,
			allowTypeImports: entry.types === true,
			message: `${lib} belongs to ${entry.owners.join(', ')} (docs/ARCHITECTURE.md)`
		}))
	);
	// kysely's `sql` template (raw SQL) only in repos; the db folder may use the rest of kysely.
	if (area === 'src/lib/server/db/**')
		patterns.push({
			regex: '^kysely$',
			importNames: ['sql'],
			message: 'raw SQL lives in src/lib/server/repos/'
		});
	return { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] };
}

// One config per owning area (areas never overlap), after the one for all source files.
const AREAS = [...new Set(LIBRARY_OWNERS.flatMap((entry) => entry.owners))];
const libraryConfigs = [
	{ files: SOURCE, ignores: TESTS, rules: libraryRule(null) },
	...AREAS.map((area) => ({ files: [area], ignores: TESTS, rules: libraryRule(area) }))
];

const layer = (name, paths) => ({
	group: paths.flatMap((p) => [`$lib/${p}`, `$lib/${p}/*`, `**/lib/${p}`, `**/lib/${p}/*`]),
	message: name
});
const SERVER = layer('browser code never imports server code', ['server']);
const BROWSER = layer('server code never imports browser code', ['client', 'stores', 'components']);
const REPOS_DB = layer('routes call services; SQL lives in repos', ['server/repos', 'server/db']);
const ROUTES = { group: ['**/routes/*', '$routes/*'], message: 'nothing imports a route' };
const ABOVE_REPOS = layer('repos take db first and call nothing above them', [
	'server/services',
	'server/jobs',
	'server/llm'
]);

const layers = (files, ...patterns) => ({
	files,
	ignores: TESTS,
	rules: { 'no-restricted-imports': ['error', { patterns }] }
});

export default ts.config(
	{ ignores: ['build/', '.svelte-kit/', 'node_modules/', 'data/', '.cache/', 'test-results/'] },
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'no-undef': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
			]
		}
	},
	{
		// Type-aware rules: a promise nobody awaits or catches, a switch that forgets a case.
		files: ['src/**/*.ts', 'src/**/*.svelte', 'tests/**/*.ts', 'bench/**/*.ts'],
		// The service worker has its own tsconfig-less build; migrations are frozen.
		ignores: ['src/service-worker.ts'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/switch-exhaustiveness-check': [
				'error',
				{ considerDefaultExhaustiveForUnions: true }
			]
		}
	},
	{
		// Hearth is served at the root path; plain hrefs need no resolve().
		files: ['**/*.svelte'],
		rules: { 'svelte/no-navigation-without-resolve': 'off' }
	},
	{
		// Migrations take Kysely<any>: they are frozen and must not depend on today's schema types.
		files: ['migrations/**'],
		rules: { '@typescript-eslint/no-explicit-any': 'off' }
	},
	...libraryConfigs,
	layers(['src/lib/server/**', 'src/hooks.server.ts'], BROWSER, ROUTES),
	layers(['src/routes/**'], REPOS_DB),
	layers(['src/lib/server/repos/**'], BROWSER, ROUTES, ABOVE_REPOS),
	layers(
		['src/lib/client/**', 'src/lib/stores/**', 'src/lib/components/**', 'src/lib/shared/**'],
		SERVER
	)
);

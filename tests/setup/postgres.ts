// Vitest global setup: one PostgreSQL cluster for the whole run; suites create their own databases.
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../support/postgres';

declare module 'vitest' {
	export interface ProvidedContext {
		postgresUrl: string;
	}
}

export default async function setup(project: TestProject) {
	const cluster = await startPostgres();
	project.provide('postgresUrl', cluster.url);
	return () => cluster.stop();
}

// Prometheus metrics: one registry per runtime. HTTP and job figures are recorded as they happen;
// jobs by state, queue depth and provider health are read when scraped. No label ever carries a
// user, a message or a secret: routes are SvelteKit route ids, models are configured model names.
import client from 'prom-client';
import type { Database } from '$lib/server/db/database';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import { JOB_STATES } from '$lib/shared/dto';
import { countJobsByState, countRunnableJobs } from '$lib/server/repos/jobs';
import { pingDatabase } from '$lib/server/repos/health';

/** What the job runner reports; the runner knows nothing of Prometheus. */
export interface JobObserver {
	firstToken(provider: string, model: string, seconds: number): void;
	finished(
		provider: string,
		model: string,
		state: string,
		seconds: number,
		completionTokens: number | null
	): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GENERATION_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900];

export class Metrics implements JobObserver {
	readonly registry = new client.Registry();
	private readonly httpRequests: client.Counter<'route' | 'method' | 'status'>;
	private readonly httpDuration: client.Histogram<'route' | 'method' | 'status'>;
	private readonly ttft: client.Histogram<'provider' | 'model'>;
	private readonly generation: client.Histogram<'provider' | 'model' | 'state'>;
	private readonly tokens: client.Counter<'provider' | 'model'>;
	private readonly jobsFinished: client.Counter<'provider' | 'state'>;

	constructor(deps: { db: Database; providers: ProviderRegistry }) {
		const registers = [this.registry];
		client.collectDefaultMetrics({ register: this.registry });
		this.httpRequests = new client.Counter({
			name: 'hearth_http_requests_total',
			help: 'HTTP requests answered, by route, method and status',
			labelNames: ['route', 'method', 'status'],
			registers
		});
		this.httpDuration = new client.Histogram({
			name: 'hearth_http_request_duration_seconds',
			help: 'Time to response headers, by route, method and status',
			labelNames: ['route', 'method', 'status'],
			buckets: LATENCY_BUCKETS,
			registers
		});
		this.ttft = new client.Histogram({
			name: 'hearth_time_to_first_token_seconds',
			help: 'From a job starting to its first streamed token',
			labelNames: ['provider', 'model'],
			buckets: LATENCY_BUCKETS.concat([30, 60]),
			registers
		});
		this.generation = new client.Histogram({
			name: 'hearth_generation_duration_seconds',
			help: 'From a job starting to its final state',
			labelNames: ['provider', 'model', 'state'],
			buckets: GENERATION_BUCKETS,
			registers
		});
		this.tokens = new client.Counter({
			name: 'hearth_tokens_generated_total',
			help: 'Completion tokens reported by providers',
			labelNames: ['provider', 'model'],
			registers
		});
		this.jobsFinished = new client.Counter({
			name: 'hearth_jobs_finished_total',
			help: 'Job runs ended by this instance, by final state',
			labelNames: ['provider', 'state'],
			registers
		});
		new client.Gauge({
			name: 'hearth_jobs',
			help: 'Jobs in the database by state',
			labelNames: ['state'],
			registers,
			async collect() {
				const counts = await countJobsByState(deps.db);
				for (const state of JOB_STATES) this.set({ state }, counts.get(state) ?? 0);
			}
		});
		new client.Gauge({
			name: 'hearth_job_queue_depth',
			help: 'Queued jobs that may start now',
			registers,
			async collect() {
				this.set(await countRunnableJobs(deps.db, Date.now()));
			}
		});
		new client.Gauge({
			name: 'hearth_provider_up',
			help: '1 when the provider answered its model list (checked at most once a minute)',
			labelNames: ['provider', 'kind'],
			registers,
			async collect() {
				this.reset();
				for (const p of await deps.providers.models())
					this.set({ provider: p.id, kind: p.kind }, p.list.source === 'live' ? 1 : 0);
			}
		});
		new client.Gauge({
			name: 'hearth_provider_slots',
			help: 'Provider gate slots by use: running, or waiting (chat replies and /v1 requests)',
			labelNames: ['provider', 'use'],
			registers,
			collect() {
				this.reset();
				for (const g of deps.providers.gateCounts()) {
					this.set({ provider: g.provider, use: 'running' }, g.running);
					this.set({ provider: g.provider, use: 'waiting' }, g.waiting);
				}
			}
		});
		new client.Gauge({
			name: 'hearth_database_up',
			help: '1 when the database answers',
			registers,
			async collect() {
				try {
					await pingDatabase(deps.db);
					this.set(1);
				} catch {
					this.set(0);
				}
			}
		});
	}

	http(route: string, method: string, status: number, seconds: number) {
		const labels = { route, method, status: String(status) };
		this.httpRequests.inc(labels);
		this.httpDuration.observe(labels, seconds);
	}

	firstToken(provider: string, model: string, seconds: number) {
		this.ttft.observe({ provider, model }, seconds);
	}

	finished(
		provider: string,
		model: string,
		state: string,
		seconds: number,
		completionTokens: number | null
	) {
		this.generation.observe({ provider, model, state }, seconds);
		this.jobsFinished.inc({ provider, state });
		if (completionTokens) this.tokens.inc({ provider, model }, completionTokens);
	}

	async render(): Promise<{ body: string; contentType: string }> {
		return { body: await this.registry.metrics(), contentType: this.registry.contentType };
	}
}

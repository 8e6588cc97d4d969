// `/v1/embeddings`: through a provider that has them, admitted and recorded like a completion.
import { estimateTokens } from '$lib/server/llm/guard';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';
import { recordUsage } from '$lib/server/services/pricing';
import {
	apiUsageContext,
	failureToV1,
	invalidRequest,
	modelNotFound,
	startV1Request,
	type V1Deps,
	type V1Error
} from '$lib/server/services/v1-admission';
import { resolveV1Model } from '$lib/server/services/v1-models';
import { describeInvalid, EmbeddingsBody } from '$lib/server/services/v1-request';

/** `/v1/embeddings`; recorded in usage like a completion. */
export async function createEmbeddings(
	deps: V1Deps,
	caller: ApiKeyIdentity,
	raw: unknown,
	signal: AbortSignal
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; error: V1Error }> {
	const parsed = EmbeddingsBody.safeParse(raw);
	if (!parsed.success) {
		const { param, message } = describeInvalid(parsed.error);
		return { ok: false, error: invalidRequest(message, param) };
	}
	const input = parsed.data;
	const target = await resolveV1Model(deps, input.model);
	if (!target) return { ok: false, error: modelNotFound(input.model) };
	const embed = target.provider.embed;
	if (!embed)
		return {
			ok: false,
			error: invalidRequest(`${target.provider.name} has no embeddings`, 'model', 'unsupported')
		};
	const started = await startV1Request(deps, caller.user.id, target.provider, signal);
	if (!started.ok) return started;
	const { user: _u, ...fields } = input;
	let result;
	try {
		result = await embed.call(target.provider, { ...fields, model: target.model }, signal);
	} catch (error) {
		await started.settle();
		throw error;
	} finally {
		started.release();
	}
	if (!result.ok) {
		await started.settle();
		return { ok: false, error: failureToV1(result.error) };
	}
	const reported = result.body.usage as { prompt_tokens?: number } | undefined;
	const texts = typeof input.input === 'string' ? [input.input] : input.input;
	const promptTokens =
		reported?.prompt_tokens ??
		estimateTokens(texts.reduce<number>((n, t) => n + (typeof t === 'string' ? t.length : 4), 0));
	await recordUsage(
		deps.db,
		apiUsageContext(caller, target.provider, target.model),
		{
			promptTokens,
			completionTokens: 0,
			estimated: reported?.prompt_tokens === undefined,
			local: target.provider.kind === 'llamacpp'
		},
		(deps.now ?? Date.now)()
	).finally(started.settle);
	return {
		ok: true,
		body: {
			...result.body,
			object: 'list',
			model: input.model,
			usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }
		}
	};
}

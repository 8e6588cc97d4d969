import type { AttachmentDto } from '$lib/shared/attachments';
// The JSON shapes of the HTTP API (camelCase), shared by the server, the PWA and the tests.
export const MESSAGE_STATUSES = [
	'queued',
	'streaming',
	'done',
	'failed',
	'cancelled',
	'interrupted'
] as const;
export type MessageStatusDto = (typeof MESSAGE_STATUSES)[number];
export const JOB_STATES = [
	'queued',
	'running',
	'done',
	'failed',
	'cancelled',
	'interrupted'
] as const;
export type JobStateDto = (typeof JOB_STATES)[number];
/** A job still to be written: queued or being written by a runner. */
export const ACTIVE_JOB_STATES = ['queued', 'running'] as const satisfies readonly JobStateDto[];
/** A job that will not change again. */
export const FINAL_JOB_STATES = [
	'done',
	'failed',
	'cancelled',
	'interrupted'
] as const satisfies readonly JobStateDto[];
export const isFinalJobState = (state: JobStateDto): boolean =>
	(FINAL_JOB_STATES as readonly JobStateDto[]).includes(state);
export const REASONING_LEVELS = ['off', 'low', 'medium', 'high'] as const;
export type ReasoningDto = (typeof REASONING_LEVELS)[number];

/** What an admin reads for each kind of provider. */
export const PROVIDER_KIND_LABELS: Record<ProviderViewDto['kind'], string> = {
	llamacpp: 'llama.cpp',
	openai: 'OpenAI',
	anthropic: 'Anthropic',
	openai_compatible: 'OpenAI-compatible'
};

/** A provider as the admin sees it: never a key, only its last 4 characters. */
export interface ProviderViewDto {
	id: string;
	kind: 'llamacpp' | 'openai' | 'anthropic' | 'openai_compatible';
	name: string;
	baseUrl: string;
	keyLast4: string | null;
	keyNeedsReentry: boolean;
	allowInternal: boolean;
	maxConcurrency: number | null;
	/** Tokens; null: llama.cpp's own (/props) or the cloud table. */
	contextWindow: number | null;
	enabledModels: string[];
	enabled: boolean;
	source: 'config' | 'admin';
}

export interface UsageDto {
	promptTokens: number;
	completionTokens: number;
	tokensPerSecond?: number;
}

export interface MessageDto {
	id: number;
	parentId: number | null;
	role: 'system' | 'user' | 'assistant';
	content: string;
	reasoning?: string;
	status: MessageStatusDto;
	/** "provider/model", e.g. "llama/qwen2.5-1.5b" */
	model: string | null;
	usage?: UsageDto;
	error?: string;
	/** The reply job, while it is queued or running. */
	jobId?: number;
	/** A reply that was stopped, interrupted or cut by the token limit: Continue can extend it. */
	continuable?: true;
	/** On a reply: what its prompt took of the model's context window. */
	context?: ContextDto;
	/** Files the user attached to this message, in attached order. */
	attachments?: AttachmentDto[];
	createdAt: number;
}

/** A reply's prompt against the model's context window, in tokens. */
export interface ContextDto {
	/** Prompt tokens, as counted before sending. */
	used: number;
	window: number;
	/** Earlier messages left out so the prompt fit (the model did not see them), oldest first. */
	omitted: number[];
}

export interface ConversationSettingsDto {
	temperature?: number;
	reasoning?: ReasoningDto;
	/** The name of the preset the conversation started from or last applied. */
	preset?: string;
}

export interface ConversationSummaryDto {
	id: number;
	title: string;
	updatedAt: number;
	pinned: boolean;
}

export interface ConversationDto extends ConversationSummaryDto {
	/** Set when this conversation was branched from another at one of its messages. */
	branchOf: { conversationId: number; messageId: number } | null;
	model: string | null;
	systemPrompt: string | null;
	settings: ConversationSettingsDto;
	createdAt: number;
	messages: MessageDto[];
	/**
	 * Only on a large conversation: `messages` is its newest page, and older messages exist.
	 * GET the conversation with `?before=<this>` for the page before.
	 */
	earlierBefore?: number;
}

export interface SnippetPartDto {
	text: string;
	hit: boolean;
}

/** One message matching a search, best first. */
export interface SearchHitDto {
	conversationId: number;
	title: string;
	messageId: number;
	role: 'system' | 'user' | 'assistant';
	createdAt: number;
	snippet: SnippetPartDto[];
}

/** Token totals and estimated cost (micro-dollars) for one slice of usage. */
export interface UsageTotalsDto {
	promptTokens: number;
	completionTokens: number;
	costMicroUsd: number;
	/** Some of these tokens are from models with no known price. */
	unpriced: boolean;
	/** Some of these tokens were counted by Hearth: replies that ended before the provider reported. */
	estimated: boolean;
}

export interface UserSettingsDto {
	/** What the user's own electricity and hardware cost them, per million local tokens. */
	localCostPerMillionUsd?: number;
	/** Push notifications may show the reply's first words (off: only the conversation title). */
	pushPreview?: boolean;
}

/** The JSON payload of a "reply ready" push message, read by the service worker. */
export interface PushNotificationDto {
	title: string;
	body: string;
	/** Same-origin path of the conversation to open. */
	url: string;
	/** One notification per conversation: a newer one replaces it. */
	tag: string;
}

/** Whether this browser (its session) is subscribed; the endpoint lets it match its own. */
export interface PushStatusDto {
	subscribed: boolean;
	endpoint: string | null;
}

export interface UsageReportDto {
	overall: UsageTotalsDto;
	conversation?: UsageTotalsDto;
	/** `model` is the "provider/model" reference; `label` is what a person reads. */
	byModel: ({ model: string; label: string } & UsageTotalsDto)[];
}

export interface BudgetStatusDto {
	/** null: no budget set. */
	budgetMicroUsd: number | null;
	spentMicroUsd: number;
	leftMicroUsd: number | null;
	level: 'none' | 'ok' | 'warning' | 'exceeded';
	/** When the month's spending starts again from zero (ms since the epoch). */
	resetsAt: number;
}

/** An admin's price for a model, in US dollars per million tokens, from `effectiveFrom` on. */
export interface ModelPriceDto {
	model: string;
	effectiveFrom: number;
	inputPerMillion: number;
	cachedInputPerMillion: number;
	cacheWritePerMillion: number;
	outputPerMillion: number;
}

export interface UsageFiguresDto {
	promptTokens: number;
	completionTokens: number;
	cachedTokens: number;
	reasoningTokens: number;
	costMicroUsd: number;
	replies: number;
}

export type UsagePeriod = 'day' | 'week' | 'month';

export interface UsageSummaryDto {
	from: number;
	to: number;
	tz: string;
	period: UsagePeriod;
	totals: UsageFiguresDto;
	/** The same length of time just before `from`. */
	previous: UsageFiguresDto;
	/** One point per local day, ISO week (Monday) or month in `tz`: `start` is "YYYY-MM-DD". */
	series: ({ start: string } & UsageFiguresDto)[];
	byModel: ({ key: string; label: string } & UsageFiguresDto)[];
	byProvider: ({ key: string; label: string } & UsageFiguresDto)[];
	byKind: ({ key: 'local' | 'cloud'; label: string } & UsageFiguresDto)[];
	topConversations: { id: number; title: string; costMicroUsd: number; tokens: number }[];
	/** Admin only, when no single user was asked for: every user's totals and budget. */
	byUser?: {
		userId: number;
		username: string;
		costMicroUsd: number;
		tokens: number;
		budgetMicroUsd: number | null;
	}[];
	estimated: boolean;
}

export interface JobDto {
	id: number;
	conversationId: number;
	userMessageId: number;
	assistantMessageId: number | null;
	state: JobStateDto;
	model: string;
	error?: { code: string; message: string };
	createdAt: number;
}

export interface SendResultDto {
	message: MessageDto;
	reply: MessageDto;
	job: JobDto;
}

/**
 * SSE event ids are positions: text offset × POSITION_BASE + reasoning offset (UTF-16 units).
 * A client's Last-Event-ID says exactly what it has; the server sends only the rest.
 */
export const POSITION_BASE = 10_000_000;

export function encodePosition(textOffset: number, reasoningOffset: number): number {
	return textOffset * POSITION_BASE + reasoningOffset;
}

export function decodePosition(id: string | null | undefined): { text: number; reasoning: number } {
	const n = Number(id);
	if (!id || !Number.isSafeInteger(n) || n < 0) return { text: 0, reasoning: 0 };
	return { text: Math.floor(n / POSITION_BASE), reasoning: n % POSITION_BASE };
}

/** One signed-in device (session) as its owner sees it in Settings. */
export interface DeviceSessionDto {
	/** A handle for signing this device out; not the session token nor its stored hash. */
	id: string;
	browser: string;
	os: string;
	signedInAt: number;
	lastSeenAt: number;
	current: boolean;
}

export const SECURITY_EVENT_KINDS = [
	'sign_in',
	'sign_in_failed',
	'sign_in_locked',
	'two_factor_failed',
	'two_factor_on',
	'two_factor_off',
	'two_factor_reset',
	'recovery_code_used',
	'password_changed',
	'device_signed_out',
	'passkey_added',
	'passkey_removed',
	'api_key_created',
	'api_key_revoked',
	'provider_saved',
	'provider_removed'
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

export interface SecurityEventDto {
	id: number;
	kind: SecurityEventKind;
	username: string;
	at: number;
	ip: string | null;
	/** "Chrome 131 on Linux", from the user agent. */
	device: string | null;
	detail: string | null;
}

export interface PasskeyDto {
	id: string;
	name: string;
	createdAt: number;
	lastUsedAt: number | null;
}

/** A personal API key as its owner (and the admin) sees it: never the secret, never its hash. */
export interface ApiKeyDto {
	id: number;
	name: string;
	/** The start of the secret, to tell keys apart ("hth_AbCd1234"). */
	prefix: string;
	createdAt: number;
	expiresAt: number | null;
	lastUsedAt: number | null;
	/** Requests per minute this key may make; null: only the owner's own limit. */
	rateLimitPerMinute: number | null;
	/** Conversations made with this key are kept in the owner's history. */
	saveHistory: boolean;
}

export interface AdminApiKeyDto extends ApiKeyDto {
	username: string;
}

/** A preset's default request parameters beyond its model, temperature and reasoning. */
export interface PresetParamsDto {
	max_tokens?: number;
	top_p?: number;
}

export const POLICY_RULE_KINDS = ['keyword', 'regex', 'guard'] as const;
export type PolicyRuleKindDto = (typeof POLICY_RULE_KINDS)[number];

/** A content-policy rule as the admin sees it. */
export interface PolicyRuleDto {
	id: number;
	name: string;
	kind: PolicyRuleKindDto;
	/**
	 * keyword: one keyword per line; regex: one pattern (both case-insensitive); guard: the
	 * classifier model as "provider/model" or an alias name.
	 */
	pattern: string;
	/** What the user gets back instead of a reply. */
	message: string;
	enabled: boolean;
	/** guard: refuse when the guard model gives no verdict in time (else let the text through). */
	failClosed: boolean;
	/** Also screen finished replies: a breaking reply is replaced with the refusal. */
	screenReplies: boolean;
}

/** Refusals by one rule on one UTC day. */
export interface PolicyHitDto {
	ruleId: number;
	day: string;
	count: number;
}

/** A refused message's text, kept for the admin while "keep the text of refused messages" is on. */
export interface PolicyRefusalDto {
	id: number;
	username: string;
	source: 'chat' | 'api';
	text: string;
	createdAt: number;
}

/** A saved prompt: `/command` in the composer; shared ones belong to everyone. */
export interface PromptDto {
	id: number;
	command: string;
	title: string;
	text: string;
	shared: boolean;
	/** The caller may change or delete it (their own, or shared and the caller is an admin). */
	editable: boolean;
	updatedAt: number;
}

/** A named chat setup a conversation can start from; null fields keep Hearth's defaults. */
export interface PresetDto {
	id: number;
	name: string;
	model: string | null;
	temperature: number | null;
	reasoning: ReasoningDto | null;
	systemPrompt: string | null;
	params: PresetParamsDto;
	shared: boolean;
	editable: boolean;
	isDefault: boolean;
	updatedAt: number;
}

/** The presets the user sees and the one a new chat starts from (possibly a built-in one). */
export interface PresetListDto {
	presets: PresetDto[];
	/** The user's default preset, or the built-in default (id 0) when they set none. */
	defaultPreset: PresetDto;
}

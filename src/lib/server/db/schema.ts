// The DB interface Kysely checks every query against, and the row aliases services use.
// Timestamps are milliseconds since the epoch; booleans are 0/1 integers on both dialects.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

import type {
	JobStateDto,
	MessageStatusDto,
	ProviderViewDto,
	ReasoningDto,
	SecurityEventKind
} from '$lib/shared/dto';
import type { ImportStateDto } from '$lib/shared/imports';
import type { AttachmentKind } from '$lib/shared/attachments';
import type { ModelDownloadStateDto } from '$lib/shared/local-models';

export type MessageStatus = MessageStatusDto;
export type JobState = JobStateDto;
export type ProviderKind = ProviderViewDto['kind'];

type Id = Generated<number>;

export interface UserTable {
	id: Id;
	username: string;
	password_hash: string;
	role: Role;
	settings: ColumnType<string, string | undefined, string>;
	/** null: no budget. */
	monthly_budget_micro_usd: ColumnType<number | null, number | null | undefined, number | null>;
	created_at: number;
	updated_at: number;
}

export interface SessionTable {
	id: string;
	user_id: number;
	expires_at: number;
	created_at: number;
	user_agent: string | null;
	last_seen_at: number | null;
}

export interface InviteTable {
	id: Id;
	token_hash: string;
	role: Role;
	created_by: number | null;
	created_at: number;
	expires_at: number;
	used_at: number | null;
	used_by: number | null;
}

export interface ApiTokenTable {
	id: Id;
	user_id: number;
	name: string;
	token_hash: string;
	last4: string;
	created_at: number;
	last_used_at: number | null;
	expires_at: number | null;
	revoked_at: number | null;
	/** The start of the secret, shown to tell keys apart ("hth_AbCd1234"); null on rows before it. */
	prefix: string | null;
	/** null: only the owner's own request rate applies. */
	rate_limit_per_minute: number | null;
	/** 1: requests made with this key are saved as conversations in the owner's history. */
	save_history: ColumnType<number, number | undefined, number>;
}

/** An admin's content-policy rule: a keyword list, a regex or a guard model, with its refusal. */
export interface PolicyRuleTable {
	id: Id;
	name: string;
	kind: 'keyword' | 'regex' | 'guard';
	/** keyword: one per line; regex: the pattern (case-insensitive); guard: "provider/model" or alias. */
	pattern: string;
	message: string;
	enabled: ColumnType<number, number | undefined, number>;
	/** guard: 1 refuses when the guard model cannot give a verdict (timeout, error, nonsense). */
	fail_closed: ColumnType<number, number | undefined, number>;
	/** 1: finished replies are screened too (a breaking reply is replaced with the refusal). */
	screen_replies: ColumnType<number, number | undefined, number>;
	created_at: number;
	updated_at: number;
}

/** How many messages a rule refused on a UTC day ("YYYY-MM-DD"); no text is kept. */
export interface PolicyHitTable {
	rule_id: number;
	day: string;
	count: number;
}

/** A kept refused message (only while the admin keeps refused text): who sent what, when. */
export interface PolicyRefusalTable {
	id: Id;
	rule_id: number;
	user_id: number;
	source: 'chat' | 'api';
	/** The refused text, cut at the service's cap. */
	text: string;
	created_at: number;
}

/** A running /v1 request's estimated cost, counted by every instance's budget check until settled. */
export interface BudgetReservationTable {
	id: Id;
	user_id: number;
	amount_micro_usd: number;
	created_at: number;
	/** Ignored after this instant (a crashed instance never settles its rows). */
	expires_at: number;
}

export interface ProviderTable {
	id: Id;
	user_id: number | null;
	kind: ProviderKind;
	name: string;
	base_url: string;
	key_ciphertext: string | null;
	key_last4: string | null;
	key_origin: string | null;
	enabled_models: ColumnType<string, string | undefined, string>;
	max_concurrency: number | null;
	/** Tokens; overrides llama.cpp's /props and the cloud table (shared/context-windows.ts). */
	context_window: number | null;
	/** 1: the admin allowed this exact origin to resolve to a private/loopback address. */
	allow_internal: ColumnType<number, number | undefined, number>;
	enabled: ColumnType<number, number | undefined, number>;
	created_at: number;
	updated_at: number;
}

export interface ConversationTable {
	id: Id;
	user_id: number;
	title: ColumnType<string, string | undefined, string>;
	model: string | null;
	provider_id: number | null;
	system_prompt: string | null;
	settings: ColumnType<string, string | undefined, string>;
	pinned_at: number | null;
	parent_conversation_id: number | null;
	branch_message_id: number | null;
	created_at: number;
	updated_at: number;
	deleted_at: number | null;
}

export interface MessageTable {
	id: Id;
	conversation_id: number;
	user_id: number;
	parent_id: number | null;
	role: 'system' | 'user' | 'assistant';
	content: ColumnType<string, string | undefined, string>;
	reasoning: string | null;
	status: MessageStatus;
	provider: string | null;
	model: string | null;
	prompt_tokens: number | null;
	completion_tokens: number | null;
	cost_micro_usd: number | null;
	timings: string | null;
	error: string | null;
	client_id: string | null;
	/** Why the provider ended the reply ("length": cut by the token limit, continuable). */
	finish_reason: string | null;
	/** What the reply was written from: prompt tokens as counted before sending, of the window. */
	context_tokens: number | null;
	context_window: number | null;
	/** JSON array of the ids of earlier messages left out so the prompt fit the window. */
	context_omitted: string | null;
	created_at: number;
	updated_at: number;
}

export interface JobTable {
	id: Id;
	user_id: number;
	conversation_id: number;
	user_message_id: number;
	assistant_message_id: number | null;
	provider: string;
	model: string;
	params: ColumnType<string, string | undefined, string>;
	state: JobState;
	attempts: ColumnType<number, number | undefined, number>;
	partial_text: ColumnType<string, string | undefined, string>;
	partial_reasoning: ColumnType<string, string | undefined, string>;
	error_code: string | null;
	error_message: string | null;
	run_after: number;
	claimed_by: string | null;
	heartbeat_at: number | null;
	created_at: number;
	started_at: number | null;
	finished_at: number | null;
	updated_at: number;
}

export interface UsageEventTable {
	id: Id;
	user_id: number;
	conversation_id: number | null;
	message_id: number | null;
	job_id: number | null;
	api_token_id: number | null;
	/** The key's name when the event was recorded (it stays readable after the key is renamed). */
	api_key_name: ColumnType<string | null, string | null | undefined, string | null>;
	source: 'chat' | 'api';
	provider: string;
	model: string;
	prompt_tokens: number;
	completion_tokens: number;
	cost_micro_usd: number;
	/** 1: counted by Hearth (the reply ended before the provider reported its usage). */
	estimated: Generated<number>;
	/** Of prompt_tokens: read from the provider's prompt cache. */
	cached_tokens: Generated<number>;
	/** Of prompt_tokens: written to the provider's prompt cache (Anthropic). */
	cache_write_tokens: Generated<number>;
	/** Of completion_tokens: spent on reasoning. */
	reasoning_tokens: Generated<number>;
	created_at: number;
}

/**
 * Sums of usage events per user, provider, model and local-or-cloud over one bucket: a quarter hour
 * (span_ms 900000), a UTC hour (3600000) or a UTC day (86400000). Every event is in one row of
 * each span.
 */
export interface UsageRollupTable {
	user_id: number;
	span_ms: number;
	bucket_at: number;
	provider: string;
	model: string;
	/** 1: served by a local model (llama.cpp). */
	local: number;
	prompt_tokens: number;
	completion_tokens: number;
	cached_tokens: number;
	cache_write_tokens: number;
	reasoning_tokens: number;
	cost_micro_usd: number;
	replies: number;
	/** How many of the replies were counted by Hearth rather than reported. */
	estimated: number;
}

/**
 * Sums of usage events per conversation, user and UTC day (day_at: the day's first ms): the most
 * expensive conversations. Rows go with their conversation; the events stay.
 */
export interface UsageConversationDayTable {
	conversation_id: number;
	day_at: number;
	user_id: number;
	prompt_tokens: number;
	completion_tokens: number;
	cost_micro_usd: number;
	replies: number;
	/** How many of the replies were counted by Hearth rather than reported. */
	estimated: number;
}

/** An admin's price for a model (micro-USD per million tokens), in force from `effective_from`. */
export interface ModelPriceTable {
	id: Id;
	model: string;
	input_micro_usd: number;
	cached_input_micro_usd: number;
	cache_write_micro_usd: number;
	output_micro_usd: number;
	effective_from: number;
	created_by: number | null;
	created_at: number;
}

export interface TotpCredentialTable {
	user_id: number;
	secret_sealed: string;
	created_at: number;
	confirmed_at: number | null;
	last_used_step: number | null;
}

export interface RecoveryCodeTable {
	user_id: number;
	code_hash: string;
	used_at: number | null;
}

export interface PendingLoginTable {
	id: string;
	user_id: number;
	expires_at: number;
}

export interface SecurityEventTable {
	id: Id;
	/** null for a sign-in attempt on a name that is no account. */
	user_id: number | null;
	username: string;
	kind: SecurityEventKind;
	ip: string | null;
	user_agent: string | null;
	detail: string | null;
	created_at: number;
}

export interface PasskeyTable {
	/** The credential id, base64url. */
	id: string;
	user_id: number;
	name: string;
	public_key: string;
	counter: number;
	/** JSON array of transport hints. */
	transports: string;
	created_at: number;
	last_used_at: number | null;
}

export interface WebauthnChallengeTable {
	id: string;
	challenge: string;
	/** The registering user; null for a sign-in (the passkey names the user). */
	user_id: number | null;
	expires_at: number;
}

/** The Web Push subscription of one signed-in browser (its session). */
export interface PushSubscriptionTable {
	session_id: string;
	user_id: number;
	endpoint: string;
	/** The browser's P-256 public key and auth secret, base64url as the browser gave them. */
	p256dh: string;
	auth: string;
	created_at: number;
}

/** A saved prompt; user_id null: shared with everyone, edited by an admin. */
export interface SavedPromptTable {
	id: Id;
	user_id: number | null;
	command: string;
	title: string;
	text: string;
	created_at: number;
	updated_at: number;
}

/**
 * A named chat setup; user_id null: shared with everyone, and a model name /v1 accepts (what
 * were the admin's model aliases).
 */
export interface PresetTable {
	id: Id;
	user_id: number | null;
	name: string;
	model: string | null;
	temperature: number | null;
	reasoning: ReasoningDto | null;
	system_prompt: string | null;
	/** JSON: default request parameters beyond the columns ({ max_tokens?, top_p? }). */
	params: ColumnType<string, string | undefined, string>;
	/** 1 for the one preset a new chat starts from (per user). */
	is_default: ColumnType<number, number | undefined, number>;
	created_at: number;
	updated_at: number;
}

export interface AppSettingTable {
	key: string;
	value: string;
	updated_at: number;
}

/** Attempts counted in the window ending at `window_ends_at`; a row past it is spent and swept. */
export interface AuthThrottleTable {
	key: string;
	attempts: number;
	window_ends_at: number;
}

export type ImportState = ImportStateDto;

/** One uploaded export being (or having been) imported; problems and conversation_ids are JSON. */
export interface ImportTable {
	id: Id;
	user_id: number;
	state: ImportState;
	format: string | null;
	file_name: ColumnType<string, string | undefined, string>;
	done: ColumnType<number, number | undefined, number>;
	skipped: ColumnType<number, number | undefined, number>;
	total: number | null;
	bytes_read: ColumnType<number, number | undefined, number>;
	bytes_total: ColumnType<number, number | undefined, number>;
	problems: ColumnType<string, string | undefined, string>;
	conversation_ids: ColumnType<string, string | undefined, string>;
	created_at: number;
	updated_at: number;
	finished_at: number | null;
}

/** A conversation already imported from (format, source id) for this user. */
export interface ImportSourceTable {
	user_id: number;
	format: string;
	source_id: string;
	conversation_id: number;
	created_at: number;
}

/** A file a user attached: its bytes, and the text read from it when it is a document. */
export interface AttachmentTable {
	id: string;
	user_id: number;
	name: string;
	type: string;
	kind: AttachmentKind;
	size: number;
	data: Uint8Array;
	text: string | null;
	tokens: number | null;
	created_at: number;
}

/** Which messages carry which attachments, in the order they were attached. */
export interface MessageAttachmentTable {
	message_id: number;
	attachment_id: string;
	position: number;
}

export type ModelDownloadState = ModelDownloadStateDto;

/** A GGUF being (or having been) fetched from the hub into LLAMA_MODELS_DIR. */
export interface ModelDownloadTable {
	id: Id;
	user_id: number | null;
	state: ModelDownloadState;
	repo: string;
	/** The file name in the repository, which is also its name in the models folder. */
	file: string;
	bytes: ColumnType<number, number | undefined, number>;
	total: number | null;
	/** The SHA-256 the hub published for the file (hex), when it did. */
	sha256: string | null;
	error: string | null;
	created_at: number;
	updated_at: number;
}

export interface DB {
	user: UserTable;
	session: SessionTable;
	invite: InviteTable;
	api_token: ApiTokenTable;
	policy_rule: PolicyRuleTable;
	policy_hit: PolicyHitTable;
	policy_refusal: PolicyRefusalTable;
	budget_reservation: BudgetReservationTable;
	provider: ProviderTable;
	conversation: ConversationTable;
	message: MessageTable;
	job: JobTable;
	usage_event: UsageEventTable;
	usage_rollup: UsageRollupTable;
	usage_conversation_day: UsageConversationDayTable;
	model_price: ModelPriceTable;
	app_setting: AppSettingTable;
	auth_throttle: AuthThrottleTable;
	totp_credential: TotpCredentialTable;
	recovery_code: RecoveryCodeTable;
	pending_login: PendingLoginTable;
	security_event: SecurityEventTable;
	passkey: PasskeyTable;
	webauthn_challenge: WebauthnChallengeTable;
	push_subscription: PushSubscriptionTable;
	import: ImportTable;
	import_source: ImportSourceTable;
	attachment: AttachmentTable;
	message_attachment: MessageAttachmentTable;
	model_download: ModelDownloadTable;
	saved_prompt: SavedPromptTable;
	preset: PresetTable;
}

export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type Session = Selectable<SessionTable>;
export type SecurityEvent = Selectable<SecurityEventTable>;
export type Passkey = Selectable<PasskeyTable>;
export type PushSubscription = Selectable<PushSubscriptionTable>;
export type NewPushSubscription = Insertable<PushSubscriptionTable>;
export type SavedPrompt = Selectable<SavedPromptTable>;
export type Preset = Selectable<PresetTable>;
export type NewSecurityEvent = Insertable<SecurityEventTable>;
export type TotpCredential = Selectable<TotpCredentialTable>;
export type NewSession = Insertable<SessionTable>;
export type Invite = Selectable<InviteTable>;
export type NewInvite = Insertable<InviteTable>;
export type ProviderRow = Selectable<ProviderTable>;
export type NewProviderRow = Insertable<ProviderTable>;
export type ProviderRowUpdate = Updateable<ProviderTable>;
export type Conversation = Selectable<ConversationTable>;
export type Message = Selectable<MessageTable>;
export type Job = Selectable<JobTable>;
export type UsageEvent = Selectable<UsageEventTable>;
export type ApiToken = Selectable<ApiTokenTable>;
export type NewApiToken = Insertable<ApiTokenTable>;
export type PolicyRule = Selectable<PolicyRuleTable>;
export type NewPolicyRule = Insertable<PolicyRuleTable>;
export type PolicyRuleUpdate = Updateable<PolicyRuleTable>;
export type PolicyRefusal = Selectable<PolicyRefusalTable>;
export type NewPolicyRefusal = Insertable<PolicyRefusalTable>;
export type NewBudgetReservation = Insertable<BudgetReservationTable>;
export type NewUsageEvent = Insertable<UsageEventTable>;
export type UsageRollup = Selectable<UsageRollupTable>;
export type UsageConversationDay = Selectable<UsageConversationDayTable>;
export type ModelPrice = Selectable<ModelPriceTable>;
export type ImportRow = Selectable<ImportTable>;
export type Attachment = Selectable<AttachmentTable>;
export type NewAttachment = Insertable<AttachmentTable>;
export type ModelDownloadRow = Selectable<ModelDownloadTable>;

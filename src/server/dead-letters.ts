/**
 * Dead letters: remote tells (HTTP `…/tell`, the FaaS POST/PUT routes, ws and
 * gRPC tells) that were accepted (202) but never handled. The caller of a tell
 * has no reply to learn it from, so the node keeps the last few per tenant for
 * an operator (or the tenant) to list, counts them in
 * `plexspaces_dead_letters_total{reason}` and logs each on stderr.
 */

/**
 * Why a tell was not handled. A closed set: it is a metric label.
 *
 * - `unknown-handler`: the actor answered that it has no handler for the type
 *   (the SDK's `{"error": "no handler …"}`).
 * - `handler-error`: any other error reply (`{"error": …}` or an `ERROR…` string),
 *   a throw in the handler, or a facet that refused the message.
 * - `crashed`: the actor trapped, hit its memory cap or its watchdog while handling it.
 * - `timeout`: no end of the handler within the tell's bound (MAX_REMOTE_WAIT_MS).
 * - `failed`: anything else (the actor stopped, the node shut down before it ran).
 */
export const DEAD_LETTER_REASONS = ['unknown-handler', 'handler-error', 'crashed', 'timeout', 'failed'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetter {
  /** ISO time the failure was seen. */
  readonly at: string;
  readonly tenant: string;
  readonly namespace: string;
  /** The actor id as the caller named it (without tenant and namespace). */
  readonly actor: string;
  readonly messageType: string;
  readonly reason: DeadLetterReason;
  /** The PLEX_ERR_* code, when the failure had one (a crash, a timeout). */
  readonly code?: string;
  /** What the actor answered or the error's message (cut to 1,000 characters). */
  readonly error: string;
  /** Size of the payload that was not handled; the payload itself is not kept (it may be large or private). */
  readonly payloadBytes: number;
}

export interface DeadLettersOptions {
  /** Records kept per tenant (the oldest go first). Default 100. */
  readonly perTenant?: number;
  /** Tenants with records kept (the one written to longest ago goes first). Default 1,000. */
  readonly tenants?: number;
}

export const DEFAULT_DEAD_LETTERS_PER_TENANT = 100;
export const DEFAULT_DEAD_LETTER_TENANTS = 1000;

/** A bounded record of dead letters, by tenant: memory stays bounded whatever tenants send. */
export class DeadLetters {
  // Map order is recency of writes: a write moves its tenant to the end, so the first key is the stalest.
  private readonly byTenant = new Map<string, { seq: number; letter: DeadLetter }[]>();
  private seq = 0;
  private readonly perTenant: number;
  private readonly tenants: number;

  constructor(options: DeadLettersOptions = {}) {
    this.perTenant = options.perTenant ?? DEFAULT_DEAD_LETTERS_PER_TENANT;
    this.tenants = options.tenants ?? DEFAULT_DEAD_LETTER_TENANTS;
    for (const [name, value] of [['perTenant', this.perTenant], ['tenants', this.tenants]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`dead letters: ${name} must be a positive integer, got ${value}`);
    }
  }

  add(letter: DeadLetter): void {
    const kept = this.byTenant.get(letter.tenant) ?? [];
    this.byTenant.delete(letter.tenant);
    kept.push({ seq: this.seq++, letter });
    if (kept.length > this.perTenant) kept.splice(0, kept.length - this.perTenant);
    this.byTenant.set(letter.tenant, kept);
    if (this.byTenant.size > this.tenants) this.byTenant.delete(this.byTenant.keys().next().value!);
  }

  /** Newest first; `tenant` undefined: every tenant's. */
  list(filter: { tenant?: string; namespaces?: readonly string[] | '*'; limit?: number } = {}): DeadLetter[] {
    const source = filter.tenant === undefined ? [...this.byTenant.values()].flat() : (this.byTenant.get(filter.tenant) ?? []);
    const namespaces = filter.namespaces ?? '*';
    const found = source.filter(({ letter }) => namespaces === '*' || namespaces.includes(letter.namespace));
    found.sort((a, b) => b.seq - a.seq);
    return found.slice(0, filter.limit ?? found.length).map(({ letter }) => letter);
  }
}

/**
 * Whether a reply means the message was not handled: an SDK actor's
 * `{"error": …}` object (an unknown type or a throw) or the WIT convention's
 * `ERROR…` string. Any other reply is a handled message.
 */
export function failedReply(text: string): { reason: DeadLetterReason; error: string } | undefined {
  if (text.startsWith('ERROR')) return { reason: 'handler-error', error: cut(text) };
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined;
  const error = (value as { error: unknown }).error;
  const message = typeof error === 'string' ? error : JSON.stringify(error);
  return { reason: /^no handler\b/.test(message) ? 'unknown-handler' : 'handler-error', error: cut(message) };
}

const CRASH_CODES: ReadonlySet<string> = new Set(['PLEX_ERR_ACTOR_TRAPPED', 'PLEX_ERR_ACTOR_TIMEOUT', 'PLEX_ERR_ACTOR_MEMORY_LIMIT', 'PLEX_ERR_ACTOR_FAILED', 'PLEX_ERR_ACTOR_EXITED']);

/** The reason for a tell whose delivery rejected. */
export function failedDelivery(error: unknown): { reason: DeadLetterReason; code?: string; error: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  const known = typeof code === 'string' && code.startsWith('PLEX_ERR_') ? code : undefined;
  const reason: DeadLetterReason =
    known === undefined ? 'failed' : CRASH_CODES.has(known) ? 'crashed' : known === 'PLEX_ERR_ASK_TIMEOUT' ? 'timeout' : known === 'PLEX_ERR_FACET_REJECTED' ? 'handler-error' : 'failed';
  return { reason, code: known, error: cut((error as Error | undefined)?.message ?? String(error)) };
}

function cut(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/**
 * The first article's sliding-window rate limiter (rate_limiter.go, a Go
 * actor there), in TypeScript: each client has its own window of
 * `window_size_ms` (60 s unless configured) in which it may make
 * `max_requests` requests (100 unless configured); `check_rate` records a
 * request when it is allowed and answers how many remain.
 *
 * The limits come from the init config, as the Go actor reads them: under
 * `args` (a manifest's `[supervisor.children.args]`, whose values are
 * strings) or at the top level.
 *
 *   plexspaces build examples/seed/rate-limiter/rate_limiter.ts -o rate_limiter.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface ClientWindow {
  timestamps: number[];
  allowed: number;
  denied: number;
}

interface LimiterState {
  window_size_ms: number;
  max_requests: number;
  clients: Record<string, ClientWindow>;
  total_checks: number;
  total_allowed: number;
  total_denied: number;
}

type Limits = { window_size_ms?: number | string; max_requests?: number | string };

export class SlidingWindowLimiter extends PlexSpacesActor<LimiterState> {
  getDefaultState(): LimiterState {
    return { window_size_ms: 60_000, max_requests: 100, clients: {}, total_checks: 0, total_allowed: 0, total_denied: 0 };
  }

  protected override onInit(config: Limits & { args?: Limits }): void {
    const limits = { ...config, ...config.args };
    if (limits.window_size_ms !== undefined) this.state.window_size_ms = positive('window_size_ms', limits.window_size_ms);
    if (limits.max_requests !== undefined) this.state.max_requests = positive('max_requests', limits.max_requests);
    this.host.log('info', `RateLimiter: window=${this.state.window_size_ms}ms, max=${this.state.max_requests} req/window`);
  }

  onCheckRate({ client_id }: { client_id?: string }) {
    if (typeof client_id !== 'string' || client_id === '') return { error: 'check_rate needs a client_id' };
    const window = (this.state.clients[client_id] ??= { timestamps: [], allowed: 0, denied: 0 });
    const now = this.host.nowMs();
    // Slide the window: forget the requests older than it.
    window.timestamps = window.timestamps.filter((ts) => ts > now - this.state.window_size_ms);
    const allowed = window.timestamps.length < this.state.max_requests;
    if (allowed) {
      window.timestamps.push(now);
      window.allowed++;
      this.state.total_allowed++;
    } else {
      window.denied++;
      this.state.total_denied++;
    }
    this.state.total_checks++;
    return { allowed, remaining: Math.max(0, this.state.max_requests - window.timestamps.length), limit: this.state.max_requests, client_id };
  }

  /** A FaaS POST that names no action (the article's multi-tenant example) is a rate check. */
  onInvoke(payload: { client_id?: string }) {
    return this.onCheckRate(payload);
  }

  onStats() {
    const { total_checks, total_allowed, total_denied } = this.state;
    return { total_checks, total_allowed, total_denied, clients: Object.keys(this.state.clients).length };
  }
}

function positive(name: string, value: number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

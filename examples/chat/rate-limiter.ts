/**
 * A per-user token bucket: each user has `max_tokens` posts, and gets one
 * back every `refill_rate_ms`. The clock is the host's (`now-ms`), so a
 * durable limiter replays to the same verdicts.
 *
 *   npx plexspaces build examples/chat/rate-limiter.ts -o examples/chat/rate_limiter.wasm
 */
import { host, PlexSpacesActor } from 'plexspaces/sdk';

interface Bucket {
  tokens: number;
  at: number;
}

interface Limiter {
  maxTokens: number;
  refillMs: number;
  buckets: Record<string, Bucket>;
}

export default class RateLimiter extends PlexSpacesActor<Limiter> {
  getDefaultState(): Limiter {
    return { maxTokens: 5, refillMs: 1000, buckets: {} };
  }

  override onInit(config: { max_tokens?: string; refill_rate_ms?: string }): void {
    if (config.max_tokens !== undefined) this.state.maxTokens = Number(config.max_tokens);
    if (config.refill_rate_ms !== undefined) this.state.refillMs = Number(config.refill_rate_ms);
    if (!(this.state.maxTokens > 0) || !(this.state.refillMs > 0)) throw new Error('max_tokens and refill_rate_ms must be positive');
  }

  onCheck({ user }: { user: string }) {
    const now = host.nowMs();
    const bucket = this.state.buckets[user] ?? { tokens: this.state.maxTokens, at: now };
    const refilled = Math.floor((now - bucket.at) / this.state.refillMs);
    if (refilled > 0) {
      bucket.tokens = Math.min(this.state.maxTokens, bucket.tokens + refilled);
      bucket.at += refilled * this.state.refillMs;
    }
    this.state.buckets[user] = bucket;
    if (bucket.tokens === 0) return { allowed: false, retry_after_ms: this.state.refillMs - (now - bucket.at) };
    bucket.tokens--;
    if (bucket.tokens === this.state.maxTokens - 1) bucket.at = now; // the refill clock starts at the first spend
    return { allowed: true, remaining: bucket.tokens };
  }
}

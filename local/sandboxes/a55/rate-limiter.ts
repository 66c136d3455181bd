/**
 * A55's public rate limit: N requests per minute per client, announced on every answer
 * by `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch
 * seconds), with `429` + `Retry-After` beyond it.
 *
 * Fixed window, anchored at the client's first request: the window opens with that
 * request and lasts one minute; the next request after it opens a new one. Chosen over a
 * sliding window because `Reset` and `Retry-After` then have one exact, testable value
 * (the window's end). Rejected requests do not count, so a client that waits for
 * `Retry-After` is served at once.
 */

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms at which the window ends. */
  resetAtMs: number;
  /** Whole seconds until the window ends, at least 1. Meaningful when not allowed. */
  retryAfterSeconds: number;
}

export interface RateLimiterOptions {
  /** Requests per window and client; 0 disables the limit. */
  limit: number;
  now: () => number;
  windowMs?: number;
}

interface Window {
  startedAt: number;
  count: number;
}

export class FixedWindowRateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new RangeError("rate limit must be a non-negative integer");
    }
    this.#limit = options.limit;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now;
  }

  get enabled(): boolean {
    return this.#limit > 0;
  }

  /** Counts one request of `client` and says whether it may pass. */
  take(client: string): RateLimitDecision {
    return this.#decide(client, true);
  }

  /** The client's current state, without counting a request. */
  peek(client: string): RateLimitDecision {
    return this.#decide(client, false);
  }

  #decide(client: string, consume: boolean): RateLimitDecision {
    const now = this.#now();
    let window = this.#windows.get(client);
    if (!window || now >= window.startedAt + this.#windowMs) {
      window = { startedAt: now, count: 0 };
      if (consume) this.#windows.set(client, window);
    }
    const resetAtMs = window.startedAt + this.#windowMs;
    const allowed = !this.enabled || window.count < this.#limit;
    if (consume && allowed) window.count++;
    return {
      allowed,
      limit: this.#limit,
      remaining: Math.max(0, this.#limit - window.count),
      resetAtMs,
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - now) / 1000)),
    };
  }
}

/** The `X-RateLimit-*` headers of a decision; none when the limit is disabled. */
export const rateLimitHeaders = (decision: RateLimitDecision): Record<string, string> =>
  decision.limit > 0
    ? {
        "X-RateLimit-Limit": String(decision.limit),
        "X-RateLimit-Remaining": String(decision.remaining),
        "X-RateLimit-Reset": String(Math.ceil(decision.resetAtMs / 1000)),
      }
    : {};

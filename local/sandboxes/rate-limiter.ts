/**
 * The sandboxes' rate limit: N requests per minute per client, announced on every answer
 * by `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch
 * seconds), with `429` + `Retry-After` beyond it. A55 publishes this limit (100/min); the
 * Procure-Core sandbox applies it per app when asked to (benchmarks of the sweep's gate).
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

/**
 * What a client really sent, whatever the limiter answered: the most requests that arrived
 * within any one window (sliding, not the limiter's fixed one), per client. The sweep
 * benchmark compares it with the limit.
 */
export class RequestRateMeter {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #arrivals = new Map<string, number[]>();
  readonly #peaks = new Map<string, number>();

  constructor(options: { now: () => number; windowMs?: number }) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now;
  }

  /** Counts one request of `client`, arrived now. */
  record(client: string): void {
    const now = this.#now();
    let arrivals = this.#arrivals.get(client);
    if (!arrivals) {
      arrivals = [];
      this.#arrivals.set(client, arrivals);
    }
    // Oldest first: drop what left the window, so the array never outgrows one window.
    let expired = 0;
    while (expired < arrivals.length && (arrivals[expired] ?? 0) <= now - this.#windowMs) expired++;
    if (expired > 0) arrivals.splice(0, expired);
    arrivals.push(now);
    this.#peaks.set(client, Math.max(this.#peaks.get(client) ?? 0, arrivals.length));
  }

  /** The most requests of `client` (or of any one client) seen within one window. */
  peak(client?: string): number {
    if (client !== undefined) return this.#peaks.get(client) ?? 0;
    return Math.max(0, ...this.#peaks.values());
  }
}

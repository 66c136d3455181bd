/**
 * What each upstream last announced about its own limit, remembered per container. After
 * an answer with `X-RateLimit-Remaining: 0`, or a 429, this container sends that client
 * nothing more until the announced reset (`Retry-After`, else `X-RateLimit-Reset`), capped
 * at `capMs` (one budget window: a per-minute limit frees within a minute, and a garbled
 * header must not stop the service for longer). A later answer announcing requests left
 * lifts the block.
 *
 * Deliberately not written to the shared budget item: a write per 429 would cost the most
 * when the upstream is already struggling, and the shared ring is what keeps the fleet
 * under the limit; this only stops one container from sending what the upstream just said
 * it would refuse (the sweep's eight workers, say).
 */
import { readRateLimit, retryAfterMsOf } from "./rate-limit-headers.ts";
import type { AnswerObservation } from "./upstream-budget.ts";

/** When a 429 names no time at all. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

export class AnnouncedLimits {
  readonly #now: () => number;
  readonly #capMs: number;
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: { now: () => number; capMs: number }) {
    this.#now = options.now;
    this.#capMs = options.capMs;
  }

  /** Takes in one answer; says whether it was a 429. */
  observe(answer: AnswerObservation<string>): { rateLimited: boolean } {
    const now = this.#now();
    const key = keyOf(answer.upstream, answer.client);
    const announced = readRateLimit(answer.headers, now);
    if (answer.status === 429) {
      this.#block(key, now, retryAfterMsOf(answer.headers, now) ?? DEFAULT_RETRY_AFTER_MS);
      return { rateLimited: true };
    }
    if (announced && announced.remaining <= 0 && announced.resetAt > now) {
      this.#block(key, now, announced.resetAt - now);
    } else if (announced) {
      this.#blockedUntil.delete(key);
    }
    return { rateLimited: false };
  }

  /** Epoch ms until which nothing may be sent to this client, when that is still ahead. */
  blockedUntil(upstream: string, client: string): number | undefined {
    const until = this.#blockedUntil.get(keyOf(upstream, client));
    return until !== undefined && until > this.#now() ? until : undefined;
  }

  #block(key: string, now: number, forMs: number): void {
    const until = now + Math.min(Math.max(0, forMs), this.#capMs);
    if (until > now) this.#blockedUntil.set(key, until);
  }
}

const keyOf = (upstream: string, client: string): string => `${upstream}#${client}`;

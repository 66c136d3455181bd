/**
 * A client-side limit on requests per minute: a sliding one-minute window that is never
 * exceeded, and that slows down further when the upstream's own `X-RateLimit-Remaining`
 * runs low (spreading what is left evenly until its window resets).
 *
 * Written here because the candidates (bottleneck, p-throttle) cannot take the
 * upstream's announced remaining budget into account, nor run on an injected clock.
 */
import type { RateLimitInfo } from "#core/ports.ts";

const WINDOW_MS = 60_000;

export interface RateGateOptions {
  maxPerMinute: number;
  /** Slow down when the upstream says less than this share of its limit remains. */
  lowWatermark?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RequestRateGate {
  readonly #max: number;
  readonly #lowWatermark: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #sent: number[] = [];
  #announced: RateLimitInfo | undefined;
  #peak = 0;

  constructor(options: RateGateOptions) {
    this.#max = options.maxPerMinute;
    this.#lowWatermark = options.lowWatermark ?? 0.1;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Most requests seen in any one-minute window so far. */
  get peakPerMinute(): number {
    return this.#peak;
  }

  /** Resolves when one more request may be sent. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.#now();
      const waitUntil = this.#earliestStart(now);
      if (waitUntil <= now) {
        this.#sent.push(now);
        this.#peak = Math.max(this.#peak, this.#sent.length);
        if (this.#announced)
          this.#announced = { ...this.#announced, remaining: this.#announced.remaining - 1 };
        return;
      }
      await this.#sleep(waitUntil - now);
    }
  }

  /** Takes in what the upstream last announced. */
  observe(info: RateLimitInfo | undefined): void {
    if (info) this.#announced = info;
  }

  #earliestStart(now: number): number {
    while (this.#sent.length > 0 && (this.#sent[0] ?? 0) <= now - WINDOW_MS) this.#sent.shift();
    let earliest = this.#sent.length >= this.#max ? (this.#sent[0] ?? now) + WINDOW_MS : now;
    const announced = this.#announced;
    if (announced && announced.resetAt > now && announced.remaining <= announced.limit * this.#lowWatermark) {
      if (announced.remaining <= 0) return Math.max(earliest, announced.resetAt);
      const spacing = (announced.resetAt - now) / announced.remaining;
      earliest = Math.max(earliest, (this.#sent.at(-1) ?? 0) + spacing);
    }
    return earliest;
  }
}

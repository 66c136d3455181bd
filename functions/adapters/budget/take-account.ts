/**
 * One take's account (ADR 0003, 0008): what it cost in round trips and waiting, the rule that
 * no round trip starts past its deadline, and how it ends: the slot held (`onTaken`), or
 * refused with `UpstreamRateLimitedError` (`onRefused`), the budget's counters kept for
 * both. Its siblings: shared-upstream-budget.ts (the take's round trips and what their answers
 * mean), slot-waiting.ts (how a take waits for a slot).
 */
import { type UpstreamName, UpstreamRateLimitedError } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import type { BudgetStats, SharedUpstreamBudgetOptions } from "./budget-options.ts";
import type { SlotRequest } from "./upstream-budget.ts";

/** Whose limit a refusal reports: the shared rings', or what the upstream announced. */
export type RefusalSource = "budget" | "upstream";

export interface TakeAccountOptions<N extends string = UpstreamName> {
  request: SlotRequest<N>;
  priority: UpstreamPriority;
  now: () => number;
  /** The budget's counters, kept across takes. */
  stats: BudgetStats;
  hooks: Pick<SharedUpstreamBudgetOptions<N>, "onTaken" | "onRefused">;
}

export class TakeAccount<N extends string = UpstreamName> {
  readonly #request: SlotRequest<N>;
  readonly #priority: UpstreamPriority;
  readonly #now: () => number;
  readonly #stats: BudgetStats;
  readonly #hooks: TakeAccountOptions<N>["hooks"];
  readonly #started: number;
  #roundTrips = 0;
  #waitedMs = 0;
  /** When the ring last read frees a slot: what a refusal at the deadline reports. */
  #lastFreeAt: number | undefined;

  constructor(options: TakeAccountOptions<N>) {
    this.#request = options.request;
    this.#priority = options.priority;
    this.#now = options.now;
    this.#stats = options.stats;
    this.#hooks = options.hooks;
    this.#started = this.#now();
  }

  count(trips: number): void {
    this.#roundTrips += trips;
    this.#stats.roundTrips += trips;
  }

  /** No round trip starts past the deadline: nothing could be sent after it anyway. */
  beforeRoundTrip(trips = 1): void {
    const now = this.#now();
    if (now >= this.#request.deadline) this.refuse((this.#lastFreeAt ?? now + 1_000) - now);
    this.count(trips);
  }

  slotFreesAt(freeAt: number): void {
    this.#lastFreeAt = freeAt;
  }

  waited(ms: number): void {
    this.#stats.waitedMs += ms;
    this.#waitedMs += ms;
  }

  /** The slot was taken but its answer came too late to send in it (still counted in the ring). */
  abandoned(): void {
    this.#stats.abandoned++;
  }

  taken(): void {
    this.#stats.taken++;
    this.#hooks.onTaken?.({
      upstream: this.#request.upstream,
      client: this.#request.client,
      priority: this.#priority,
      waitedMs: this.#waitedMs,
      tookMs: this.#now() - this.#started,
      roundTrips: this.#roundTrips,
    });
  }

  refuse(retryAfterMs: number, source: RefusalSource = "budget"): never {
    const { upstream, client } = this.#request;
    const priority = this.#priority;
    const wait = Math.max(0, retryAfterMs);
    this.#stats.refused++;
    this.#hooks.onRefused?.({ upstream, client, priority, retryAfterMs: wait, source });
    const whose = source === "budget" ? "The shared request budget" : "The upstream's own rate limit";
    throw new UpstreamRateLimitedError({
      upstream,
      retryable: true,
      source,
      retryAfterSeconds: wait / 1000,
      message: `${whose} for ${upstream} is spent for ${priority} work; a request may go in ${(wait / 1000).toFixed(1)} s`,
    });
  }
}

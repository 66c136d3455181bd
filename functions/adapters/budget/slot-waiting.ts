/**
 * How a take waits (ADR 0003, 0008): interactive work (a person waiting) is never made to
 * wait for a slot: it is refused at once, `retryAfterSeconds` being the exact time until one
 * frees. Background work may send at most its share of the limit in a window (so the rest is
 * always there for interactive work), and waits for a slot only while one frees before its
 * deadline. While background work wants slots (it took one in the last few seconds, or waits
 * for one: then it says so on its ring, one more round trip), interactive work keeps to its
 * own N − B: background work gets its share however many people ask. Its siblings:
 * shared-upstream-budget.ts (the take's round trips and what their answers mean),
 * take-account.ts (what a take cost, and its refusal).
 */
import type { UpstreamName } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import type { BudgetShape, RingSize, RingState } from "./budget-ring.ts";
import type { RingKey, RingStore } from "./budget-ring-store.ts";
import { backgroundWantsUntil, slotFreeAt } from "./ring-verdict.ts";
import type { RefusalSource, TakeAccount } from "./take-account.ts";
import type { SlotRequest } from "./upstream-budget.ts";

/** The most interactive work waits for a clock a little behind another container's. */
const INTERACTIVE_CLOCK_WAIT_MS = 50;
/** Spreads the wake-ups of background waiters a little, so they do not all write at the same instant. */
const WAKE_JITTER_MS = 20;
/** How long past its planned wake-up a waiting background taker keeps interactive work off its ring. */
const BACKGROUND_WAIT_GRACE_MS = 1_000;

export interface SlotWaitingOptions<N extends string = UpstreamName> {
  request: SlotRequest<N>;
  priority: UpstreamPriority;
  account: TakeAccount<N>;
  store: RingStore;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Background work waits for a slot only if it frees at least this long before its deadline. */
  minAttemptMs: number;
}

/** One take's waits: each refused instead when the take may not wait that long. */
export class SlotWaiting<N extends string = UpstreamName> {
  readonly #options: SlotWaitingOptions<N>;
  #waits = 0;
  /** Over how many of the next slots a background waiter aims, doubled each time it lost one. */
  #spread = 1;

  constructor(options: SlotWaitingOptions<N>) {
    this.#options = options;
  }

  /** Until a slot frees, or the upstream's announced limit lifts. */
  async until(until: number, source: RefusalSource): Promise<void> {
    const { request, priority, account, now: clock, random, sleep, minAttemptMs } = this.#options;
    const now = clock();
    if (priority === "interactive" || until > request.deadline - minAttemptMs)
      account.refuse(until - now, source);
    const ms = until - now + Math.floor(random() * WAKE_JITTER_MS);
    account.waited(ms);
    this.#waits++;
    await sleep(ms, request.signal);
  }

  /** Another container's clock is a little ahead (or its take read the clock later but was written first). */
  async forClock(newest: number): Promise<void> {
    const { request, priority, account, now, sleep } = this.#options;
    const aheadMs = newest - now() + 1;
    if (aheadMs <= 0) return;
    const bound = priority === "interactive" ? INTERACTIVE_CLOCK_WAIT_MS : request.deadline - now();
    if (aheadMs > bound) account.refuse(aheadMs);
    await sleep(aheadMs, request.signal);
  }

  /** Background work, for a slot of a spent ring that frees first at `freeAt`. */
  async forSlot(
    key: RingKey,
    ring: RingState,
    shape: BudgetShape,
    size: RingSize,
    freeAt: number,
  ): Promise<void> {
    const { request, account, store, random, minAttemptMs } = this.#options;
    // Background waiters that keep losing the next slot to each other spread over the next few.
    if (this.#waits > 0) this.#spread = Math.min(this.#spread * 2, size.slots);
    const aimed = slotFreeAt(ring, shape.windowMs, Math.floor(random() * this.#spread));
    const wake = aimed <= request.deadline - minAttemptMs ? aimed : freeAt;
    if (shape.interactive !== undefined && wake <= request.deadline - minAttemptMs) {
      // Keep interactive work off this ring until this waiter has had its turn.
      const until = wake + WAKE_JITTER_MS + BACKGROUND_WAIT_GRACE_MS;
      if (backgroundWantsUntil(ring) < until) {
        account.beforeRoundTrip();
        await store.markBackgroundWaiting(key, until);
      }
    }
    await this.until(wake, "budget");
  }
}

/**
 * The shared upstream budget: two rings per upstream and client in DynamoDB (background
 * work's share, and the rest), which every function and container takes a slot from before
 * each HTTP attempt it sends, so the fleet as a whole never sends more than the limit within
 * any sliding minute. Design, guarantees and costs: docs/decisions/0003-upstream-budget.md
 * and, for the rings' storage, docs/decisions/0008-budget-in-constant-size.md; the rings'
 * rules: budget-ring.ts; their items: budget-ring-store.ts; which ring a take goes to:
 * ring-choice.ts; this container's view of each ring, its repairs and rings written anew:
 * ring-keeper.ts.
 *
 * - One round trip (one small UpdateItem) per take when nothing else is taking at that
 *   instant; a refusal costs one too and says exactly when the next slot frees. Interactive
 *   work takes from its own ring, and from background work's while background work wants
 *   none (a second round trip, only once its own is spent); this container remembers until
 *   when a ring is spent (that time never comes earlier), so a refusal repeated meanwhile
 *   costs no round trip.
 * - Interactive work (a person waiting) is never made to wait: when its slots are spent it
 *   gets `UpstreamRateLimitedError` (source `budget`) at once, `retryAfterSeconds` being the
 *   exact time until one frees. Background work may send at most its share of the limit in
 *   a window (so the rest is always there for interactive work), and waits for a slot only
 *   while one frees before its deadline. While background work wants slots (it took one in
 *   the last few seconds, or waits for one: then it says so on its ring, one more round
 *   trip), interactive work keeps to its own N − B: background work gets its share however
 *   many people ask.
 * - A slot is recorded at the instant it is taken; if the take's answer comes back more
 *   than half the margin later, the slot is left unused (still counted) and another taken,
 *   so no request leaves long after the time that counts it.
 * - A missing item is created with empty rings; a damaged one is replaced by full rings
 *   (nothing is known of what it recorded: refusing for one window is safe, guessing is
 *   not); rings of other lengths (the limit or share was changed) are carried over with
 *   their newest times.
 * - What the upstream announces (`X-RateLimit-Remaining: 0`, a 429 with `Retry-After`) is
 *   honoured by this container (announced-limits.ts).
 *
 * Written here rather than taken from a library (ADR 0003): `rate-limiter-flexible`'s
 * DynamoDB store counts in a fixed window with a read-then-write that two containers can
 * both pass; `bottleneck` shares state only through Redis; `p-throttle` is in-process. None
 * keeps a sliding minute exact across processes, has priorities, or stops at a deadline.
 */

import { systemRetryEnvironment } from "#adapters/http/retry-policy.ts";
import { ConfigurationError, type UpstreamName, UpstreamRateLimitedError } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import { AnnouncedLimits } from "./announced-limits.ts";
import { inspectRings } from "./budget-inspection.ts";
import type { BudgetSnapshot, BudgetStats, SharedUpstreamBudgetOptions } from "./budget-options.ts";
import {
  BACKGROUND_ACTIVE_MS,
  type BudgetShape,
  budgetShapeOf,
  crossedEdge,
  MAX_CLOCK_AHEAD_MS,
  sameForm,
  takeFormOf,
  takeSlot,
} from "./budget-ring.ts";
import type { RingStore } from "./budget-ring-store.ts";
import { choiceText, chooseRing } from "./ring-choice.ts";
import { ringHealth } from "./ring-health.ts";
import { RingKeeper, ringExpiryOf } from "./ring-keeper.ts";
import { backgroundWantsUntil, judgeTake, slotFreeAt } from "./ring-verdict.ts";
import type { AnswerObservation, SlotRequest, UpstreamBudget } from "./upstream-budget.ts";

const MINUTE_MS = 60_000;
/** The most interactive work waits for a clock a little behind another container's. */
const INTERACTIVE_CLOCK_WAIT_MS = 50;
/** Spreads the wake-ups of background waiters a little, so they do not all write at the same instant. */
const WAKE_JITTER_MS = 20;
/** How long past its planned wake-up a waiting background taker keeps interactive work off its ring. */
const BACKGROUND_WAIT_GRACE_MS = 1_000;

export type {
  BudgetRefusedEvent,
  BudgetSnapshot,
  BudgetStats,
  BudgetTakenEvent,
  SharedUpstreamBudgetOptions,
  UpstreamBudgetSettings,
} from "./budget-options.ts";

export class SharedUpstreamBudget<N extends string = UpstreamName> implements UpstreamBudget<N> {
  readonly #store: RingStore;
  readonly #shapes: Map<N, BudgetShape>;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #minAttemptMs: number;
  readonly #staleAfterMs: number;
  readonly #announced: AnnouncedLimits;
  readonly #options: SharedUpstreamBudgetOptions<N>;
  readonly #stats: BudgetStats = { taken: 0, refused: 0, waitedMs: 0, roundTrips: 0, abandoned: 0 };
  readonly #rings: RingKeeper;
  /** Until when a ring was seen spent, for interactive work (it never frees earlier): refused again without a round trip. */
  readonly #spentUntil = new Map<string, number>();

  constructor(options: SharedUpstreamBudgetOptions<N>) {
    this.#options = options;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? systemRetryEnvironment.sleep;
    this.#random = options.random ?? Math.random;
    this.#minAttemptMs = options.minAttemptMs ?? 1_000;
    this.#staleAfterMs = options.marginMs / 2;
    const windowMs = MINUTE_MS + options.marginMs;
    const limits = Object.entries(options.perMinute) as [N, number][];
    this.#shapes = new Map(
      limits.map(([upstream, limit]) => [
        upstream,
        budgetShapeOf(limit, options.backgroundShare, windowMs, options.maxBuckets),
      ]),
    );
    this.#announced = new AnnouncedLimits({ now: this.#now, capMs: windowMs });
    this.#rings = new RingKeeper({
      store: this.#store,
      now: this.#now,
      onRecreated: (event) => options.onRecreated?.({ ...event, upstream: event.upstream as N }),
    });
  }

  /** The rings' shape for an upstream: limit, background cap, window, each ring's size. */
  shapeOf(upstream: N): BudgetShape {
    return { ...this.#shapeOf(upstream) };
  }

  get stats(): BudgetStats {
    return { ...this.#stats };
  }

  async take(request: SlotRequest<N>): Promise<void> {
    const priority = request.priority ?? "background";
    const shape = this.#shapeOf(request.upstream);
    const who = { upstream: request.upstream, client: request.client };
    const started = this.#now();
    let roundTrips = 0;
    let waits = 0;
    let spread = 1;
    let lastFreeAt: number | undefined;
    let waitedMs = 0;
    const refuse = (retryAfterMs: number, source: "budget" | "upstream" = "budget"): never =>
      this.#refuse(request, priority, retryAfterMs, source);
    const count = (trips: number): void => {
      roundTrips += trips;
      this.#stats.roundTrips += trips;
    };
    /** No round trip starts past the deadline: nothing could be sent after it anyway. */
    const beforeRoundTrip = (trips = 1): void => {
      const now = this.#now();
      if (now >= request.deadline) refuse((lastFreeAt ?? now + 1_000) - now);
      count(trips);
    };
    const waitUntil = async (until: number, source: "budget" | "upstream"): Promise<void> => {
      const now = this.#now();
      if (priority === "interactive" || until > request.deadline - this.#minAttemptMs)
        refuse(until - now, source);
      const ms = until - now + Math.floor(this.#random() * WAKE_JITTER_MS);
      this.#stats.waitedMs += ms;
      waitedMs += ms;
      waits++;
      await this.#sleep(ms, request.signal);
    };

    for (;;) {
      const blocked = this.#announced.blockedUntil(who.upstream, who.client);
      if (blocked !== undefined) {
        await waitUntil(blocked, "upstream");
        continue;
      }
      const choice = chooseRing(who, shape, priority, this.#spentUntil, this.#now());
      if (typeof choice === "number") return refuse(choice - this.#now());
      const { key, size, borrowing } = choice;
      beforeRoundTrip();
      const t = this.#now();
      const cutoff = t - shape.windowMs;
      const seen = this.#rings.seen(key, size);
      const form = takeFormOf(seen, cutoff);
      const result = await this.#store.take(key, {
        t,
        priority,
        cutoff,
        size,
        form,
        borrowing,
        backgroundActiveSince: t - BACKGROUND_ACTIVE_MS,
        expiresAt: ringExpiryOf(t),
      });
      if (result.taken) {
        const after = { ...takeSlot(seen, t, cutoff, priority), ...result.counts };
        this.#rings.remember(key, after);
        // This take left the ring past a bucket's edge: it brings it back (the slot is held meanwhile).
        // Housekeeping: a failed or late repair is left to the next take (which finds the ring still past the edge).
        if (form.kind === "step" && crossedEdge(after))
          count(await this.#rings.repair(key, size, after, request.deadline).catch(() => 1));
        if (this.#now() - t > this.#staleAfterMs) {
          this.#stats.abandoned++;
          continue;
        }
        this.#stats.taken++;
        this.#options.onTaken?.({ ...who, priority, waitedMs, tookMs: this.#now() - started, roundTrips });
        return;
      }

      const { current } = result;
      const health =
        current.kind === "absent"
          ? "absent"
          : ringHealth(current.ring, size, this.#now() + MAX_CLOCK_AHEAD_MS);
      if (health !== "sound" || current.kind === "absent" || current.ring === undefined) {
        beforeRoundTrip();
        await this.#rings.recreate(key, size, current, health === "sound" ? "damaged" : health);
        continue;
      }
      const ring = current.ring;
      this.#rings.remember(key, ring);
      const verdict = judgeTake(ring, shape.windowMs, t, borrowing);
      if (verdict.kind === "free") {
        // Another take came first and changed the form this one needs: take again in that form.
        if (!sameForm(form, takeFormOf(ring, cutoff))) continue;
        // The store refused what the ring it returned allows: trust neither; start over from a full ring.
        beforeRoundTrip();
        await this.#rings.recreate(key, size, current, "damaged");
        continue;
      }
      if (verdict.kind === "repair") {
        // Past a bucket's edge further than a step reaches (its taker's repair is late or lost).
        beforeRoundTrip(0);
        count(await this.#rings.repair(key, size, ring, request.deadline));
        continue;
      }
      if (verdict.kind === "behind") {
        // Another container's clock is a little ahead (or its take read the clock later but was written first).
        const aheadMs = verdict.newest - this.#now() + 1;
        if (aheadMs > 0) {
          const bound =
            priority === "interactive" ? INTERACTIVE_CLOCK_WAIT_MS : request.deadline - this.#now();
          if (aheadMs > bound) refuse(aheadMs);
          await this.#sleep(aheadMs, request.signal);
        }
        continue;
      }
      lastFreeAt = verdict.freeAt;
      if (verdict.freeAt <= this.#now()) continue;
      if (priority === "interactive") {
        // Remembered: the next ring is tried, or the refusal says when the first of them frees.
        this.#spentUntil.set(choiceText(choice), verdict.freeAt);
        continue;
      }
      // Background waiters that keep losing the next slot to each other spread over the next few.
      if (waits > 0) spread = Math.min(spread * 2, size.slots);
      const aimed = slotFreeAt(ring, shape.windowMs, Math.floor(this.#random() * spread));
      const wake = aimed <= request.deadline - this.#minAttemptMs ? aimed : verdict.freeAt;
      if (shape.interactive !== undefined && wake <= request.deadline - this.#minAttemptMs) {
        // Keep interactive work off this ring until this waiter has had its turn.
        const until = wake + WAKE_JITTER_MS + BACKGROUND_WAIT_GRACE_MS;
        if (backgroundWantsUntil(ring) < until) {
          beforeRoundTrip();
          await this.#store.markBackgroundWaiting(key, until);
        }
      }
      await waitUntil(wake, "budget");
    }
  }

  observe(answer: AnswerObservation<N>): void {
    if (this.#announced.observe(answer).rateLimited) this.#options.onUpstreamRateLimited?.(answer.upstream);
  }

  /** The rings of one client as they are now (strongly consistent reads). */
  inspect(upstream: N, client: string): Promise<BudgetSnapshot> {
    return inspectRings(this.#store, this.#shapeOf(upstream), this.#now, { upstream, client });
  }

  #shapeOf(upstream: N): BudgetShape {
    const shape = this.#shapes.get(upstream);
    if (shape === undefined)
      throw new ConfigurationError(`The upstream budget has no limit for "${upstream}"`);
    return shape;
  }

  #refuse(
    request: SlotRequest<N>,
    priority: UpstreamPriority,
    retryAfterMs: number,
    source: "budget" | "upstream",
  ): never {
    const wait = Math.max(0, retryAfterMs);
    this.#stats.refused++;
    this.#options.onRefused?.({
      upstream: request.upstream,
      client: request.client,
      priority,
      retryAfterMs: wait,
      source,
    });
    const whose = source === "budget" ? "The shared request budget" : "The upstream's own rate limit";
    throw new UpstreamRateLimitedError({
      upstream: request.upstream,
      retryable: true,
      source,
      retryAfterSeconds: wait / 1000,
      message: `${whose} for ${request.upstream} is spent for ${priority} work; a request may go in ${(wait / 1000).toFixed(1)} s`,
    });
  }
}

/**
 * The shared upstream budget: two rings per upstream and client in DynamoDB (background
 * work's share, and the rest), which every function and container takes a slot from before
 * each HTTP attempt it sends, so the fleet as a whole never sends more than the limit within
 * any sliding minute. Design, guarantees and costs: docs/decisions/0003-upstream-budget.md
 * and, for the rings' storage, docs/decisions/0008-budget-in-constant-size.md. This file
 * holds the take's round trips and what each answer means; its siblings: slot-waiting.ts
 * (how a take waits: interactive work never, background work within its deadline),
 * take-account.ts (what a take cost, and its refusal), budget-ring.ts (the rings' rules),
 * budget-ring-store.ts (their items), ring-choice.ts (which ring a take goes to),
 * ring-keeper.ts (this container's view of each ring, its repairs and rings written anew).
 *
 * - One round trip (one small UpdateItem) per take when nothing else is taking at that
 *   instant; a refusal costs one too and says exactly when the next slot frees. Interactive
 *   work takes from its own ring, and from background work's while background work wants
 *   none (a second round trip, only once its own is spent); this container remembers until
 *   when a ring is spent (that time never comes earlier), so a refusal repeated meanwhile
 *   costs no round trip.
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
import { ConfigurationError, type UpstreamName } from "#core/errors.ts";
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
import { judgeTake } from "./ring-verdict.ts";
import { SlotWaiting } from "./slot-waiting.ts";
import { TakeAccount } from "./take-account.ts";
import type { AnswerObservation, SlotRequest, UpstreamBudget } from "./upstream-budget.ts";

const MINUTE_MS = 60_000;

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
    const account = new TakeAccount({
      request,
      priority,
      now: this.#now,
      stats: this.#stats,
      hooks: this.#options,
    });
    const wait = new SlotWaiting({
      request,
      priority,
      account,
      store: this.#store,
      now: this.#now,
      sleep: this.#sleep,
      random: this.#random,
      minAttemptMs: this.#minAttemptMs,
    });

    for (;;) {
      const blocked = this.#announced.blockedUntil(who.upstream, who.client);
      if (blocked !== undefined) {
        await wait.until(blocked, "upstream");
        continue;
      }
      const choice = chooseRing(who, shape, priority, this.#spentUntil, this.#now());
      if (typeof choice === "number") return account.refuse(choice - this.#now());
      const { key, size, borrowing } = choice;
      account.beforeRoundTrip();
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
          account.count(await this.#rings.repair(key, size, after, request.deadline).catch(() => 1));
        if (this.#now() - t > this.#staleAfterMs) {
          account.abandoned();
          continue;
        }
        account.taken();
        return;
      }

      const { current } = result;
      const health =
        current.kind === "absent"
          ? "absent"
          : ringHealth(current.ring, size, this.#now() + MAX_CLOCK_AHEAD_MS);
      if (health !== "sound" || current.kind === "absent" || current.ring === undefined) {
        account.beforeRoundTrip();
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
        account.beforeRoundTrip();
        await this.#rings.recreate(key, size, current, "damaged");
        continue;
      }
      if (verdict.kind === "repair") {
        // Past a bucket's edge further than a step reaches (its taker's repair is late or lost).
        account.beforeRoundTrip(0);
        account.count(await this.#rings.repair(key, size, ring, request.deadline));
        continue;
      }
      if (verdict.kind === "behind") {
        await wait.forClock(verdict.newest);
        continue;
      }
      account.slotFreesAt(verdict.freeAt);
      if (verdict.freeAt <= this.#now()) continue;
      if (priority === "interactive") {
        // Remembered: the next ring is tried, or the refusal says when the first of them frees.
        this.#spentUntil.set(choiceText(choice), verdict.freeAt);
        continue;
      }
      await wait.forSlot(key, ring, shape, size, verdict.freeAt);
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
}

/**
 * The shared upstream budget: one ring per upstream and client in DynamoDB, which every
 * function and container takes a slot from before each HTTP attempt it sends, so the fleet
 * as a whole never sends more than the limit within any sliding minute. Design, guarantees
 * and costs: docs/decisions/0003-upstream-budget.md; the ring's rules: budget-ring.ts; its
 * storage: budget-ring-store.ts.
 *
 * - One round trip per take when nothing else is taking at that instant; a refusal costs
 *   one too and says exactly when the next slot frees.
 * - Interactive work (a person waiting) is never made to wait: when its slots are spent it
 *   gets `UpstreamRateLimitedError` (source `budget`) at once, `retryAfterSeconds` being the
 *   exact time until one frees. Background work may send at most its share of the limit in
 *   a window (so the rest is always there for interactive work), and waits for a slot only
 *   while one frees before its deadline. While background work wants slots (it took one in
 *   the last few seconds, or waits because interactive work holds them: then it says so on
 *   the item, one more round trip), interactive work keeps to its own N − B: background work
 *   gets its share however many people ask.
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
import {
  BACKGROUND_ACTIVE_MS,
  backgroundCapOf,
  backgroundFreeAtOf,
  backgroundWaitsOnAll,
  backgroundWantsUntil,
  emptyRings,
  interactiveCapOf,
  judgeTake,
  type RingShape,
  type Rings,
  resizeRings,
  ringHealth,
  spentRings,
} from "./budget-ring.ts";
import type { BudgetKey, RingStore, StoredRing } from "./budget-ring-store.ts";
import type { AnswerObservation, SlotRequest, UpstreamBudget } from "./upstream-budget.ts";

const MINUTE_MS = 60_000;
/** A ring whose newest time is further ahead of this clock than this is damaged (or a clock is badly off). */
const MAX_CLOCK_AHEAD_MS = 1_000;
/** The most interactive work waits for a clock a little behind another container's. */
const INTERACTIVE_CLOCK_WAIT_MS = 50;
/** Spreads the wake-ups of background waiters a little, so they do not all write at the same instant. */
const WAKE_JITTER_MS = 20;
/** How long past its planned wake-up a waiting background taker keeps interactive work to its own slots. */
const BACKGROUND_WAIT_GRACE_MS = 1_000;
/** An idle ring is deleted by TTL after a day; a missing ring is an empty one. */
const RING_LIFETIME_SECONDS = 86_400;

export interface UpstreamBudgetSettings<N extends string = UpstreamName> {
  /** Requests per minute and client, per upstream. */
  perMinute: Readonly<Record<N, number>>;
  /** The share of each limit background work may use, in (0, 1]. */
  backgroundShare: number;
  /**
   * Added to the minute. Half of it bounds how long after its slot a request may leave;
   * the other half covers its way to the upstream and the clocks' differences.
   */
  marginMs: number;
}

export interface BudgetTakenEvent<N extends string = UpstreamName> {
  upstream: N;
  client: string;
  priority: UpstreamPriority;
  /** Time spent waiting for a slot to free (background work, or an announced limit). */
  waitedMs: number;
  /** From asking to holding the slot: round trips and waits. */
  tookMs: number;
  /** DynamoDB round trips this take cost. */
  roundTrips: number;
}

export interface BudgetRefusedEvent<N extends string = UpstreamName> {
  upstream: N;
  client: string;
  priority: UpstreamPriority;
  retryAfterMs: number;
  /** `budget`: the shared ring is spent; `upstream`: the upstream announced it is. */
  source: "budget" | "upstream";
}

export interface SharedUpstreamBudgetOptions<N extends string = UpstreamName>
  extends UpstreamBudgetSettings<N> {
  store: RingStore;
  /** Epoch ms. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). */
  random?: () => number;
  /** Background work waits for a slot only if it frees at least this long before its deadline. Default 1 s. */
  minAttemptMs?: number;
  onTaken?: (event: BudgetTakenEvent<N>) => void;
  onRefused?: (event: BudgetRefusedEvent<N>) => void;
  /** An upstream answered 429. */
  onUpstreamRateLimited?: (upstream: N) => void;
  /** A missing, damaged or resized ring was written anew. */
  onRecreated?: (event: { upstream: N; client: string; was: "absent" | "damaged" | "resizable" }) => void;
}

/** What this container's budget did since it was built. */
export interface BudgetStats {
  taken: number;
  refused: number;
  waitedMs: number;
  roundTrips: number;
  /** Slots taken but left unused because their answer came back too late. */
  abandoned: number;
}

/** The ring of one client as it is now, for tools, tests and the simulation. */
export interface BudgetSnapshot {
  limit: number;
  backgroundCap: number;
  windowMs: number;
  /** Requests sent within the last window, any priority. */
  inWindow: number;
  /** Background requests sent within the last window. */
  backgroundInWindow: number;
  /** When a slot is next free for each priority (now, when one is free). */
  nextFreeAt: Record<UpstreamPriority, number>;
}

export class SharedUpstreamBudget<N extends string = UpstreamName> implements UpstreamBudget<N> {
  readonly #store: RingStore;
  readonly #shapes: Map<N, RingShape>;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #minAttemptMs: number;
  readonly #staleAfterMs: number;
  readonly #announced: AnnouncedLimits;
  readonly #options: SharedUpstreamBudgetOptions<N>;
  readonly #stats: BudgetStats = { taken: 0, refused: 0, waitedMs: 0, roundTrips: 0, abandoned: 0 };

  constructor(options: SharedUpstreamBudgetOptions<N>) {
    this.#options = options;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? systemRetryEnvironment.sleep;
    this.#random = options.random ?? Math.random;
    this.#minAttemptMs = options.minAttemptMs ?? 1_000;
    this.#staleAfterMs = options.marginMs / 2;
    const windowMs = MINUTE_MS + options.marginMs;
    const shape = (limit: number): RingShape => ({
      limit,
      backgroundCap: backgroundCapOf(limit, options.backgroundShare),
      windowMs,
    });
    const limits = Object.entries(options.perMinute) as [N, number][];
    this.#shapes = new Map(limits.map(([upstream, limit]) => [upstream, shape(limit)]));
    this.#announced = new AnnouncedLimits({ now: this.#now, capMs: windowMs });
  }

  /** The ring's shape for an upstream: limit, background cap, window. */
  shapeOf(upstream: N): RingShape {
    return { ...this.#shapeOf(upstream) };
  }

  get stats(): BudgetStats {
    return { ...this.#stats };
  }

  async take(request: SlotRequest<N>): Promise<void> {
    const priority = request.priority ?? "background";
    const shape = this.#shapeOf(request.upstream);
    const key = { upstream: request.upstream, client: request.client };
    const started = this.#now();
    let roundTrips = 0;
    let waits = 0;
    let spread = 1;
    let lastFreeAt: number | undefined;
    let waitedMs = 0;
    const refuse = (retryAfterMs: number, source: "budget" | "upstream" = "budget"): never =>
      this.#refuse(request, priority, retryAfterMs, source);
    /** No round trip starts past the deadline: nothing could be sent after it anyway. */
    const beforeRoundTrip = (): void => {
      const now = this.#now();
      if (now >= request.deadline) refuse((lastFreeAt ?? now + 1_000) - now);
      roundTrips++;
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
      const blocked = this.#announced.blockedUntil(key.upstream, key.client);
      if (blocked !== undefined) {
        await waitUntil(blocked, "upstream");
        continue;
      }
      beforeRoundTrip();
      const t = this.#now();
      const result = await this.#store.take(key, {
        t,
        priority,
        cutoff: t - shape.windowMs,
        limit: shape.limit,
        backgroundCap: shape.backgroundCap,
        interactiveCap: interactiveCapOf(shape),
        backgroundActiveSince: t - BACKGROUND_ACTIVE_MS,
        expiresAt: expiryOf(t),
      });
      this.#stats.roundTrips++;
      if (result.taken) {
        if (this.#now() - t > this.#staleAfterMs) {
          this.#stats.abandoned++;
          continue;
        }
        this.#stats.taken++;
        this.#options.onTaken?.({ ...key, priority, waitedMs, tookMs: this.#now() - started, roundTrips });
        return;
      }

      const { current } = result;
      const health =
        current.kind === "absent"
          ? "absent"
          : ringHealth(current.rings, shape, this.#now() + MAX_CLOCK_AHEAD_MS);
      if (health !== "sound" || current.kind === "absent" || current.rings === undefined) {
        beforeRoundTrip();
        await this.#recreate(key, shape, current, health === "sound" ? "damaged" : health);
        continue;
      }
      const rings = current.rings;
      const verdict = judgeTake(rings, shape, priority, t);
      if (verdict.kind === "free") {
        // The store refused what the ring it returned allows: trust neither; start over from a full ring.
        beforeRoundTrip();
        await this.#recreate(key, shape, current, "damaged");
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
      if (priority === "interactive") refuse(verdict.freeAt - this.#now());
      // Background waiters that keep losing the next slot to each other spread over the next few.
      if (waits > 0) spread = Math.min(spread * 2, shape.backgroundCap);
      const aimed = backgroundFreeAtOf(rings, shape, Math.floor(this.#random() * spread));
      const wake = aimed <= request.deadline - this.#minAttemptMs ? aimed : verdict.freeAt;
      if (interactiveCapOf(shape) > 0 && backgroundWaitsOnAll(rings)) {
        // Interactive work holds the slots: keep it to its own until this waiter has had its turn.
        const until = wake + WAKE_JITTER_MS + BACKGROUND_WAIT_GRACE_MS;
        if (backgroundWantsUntil(rings) < until) {
          beforeRoundTrip();
          this.#stats.roundTrips++;
          await this.#store.markBackgroundWaiting(key, until);
        }
      }
      await waitUntil(wake, "budget");
    }
  }

  observe(answer: AnswerObservation<N>): void {
    if (this.#announced.observe(answer).rateLimited) this.#options.onUpstreamRateLimited?.(answer.upstream);
  }

  /** The ring of one client as it is now (one strongly consistent read). */
  async inspect(upstream: N, client: string): Promise<BudgetSnapshot> {
    const shape = this.#shapeOf(upstream);
    const stored = await this.#store.read({ upstream, client });
    const now = this.#now();
    const rings =
      stored.kind === "present" &&
      stored.rings &&
      ringHealth(stored.rings, shape, now + MAX_CLOCK_AHEAD_MS) === "sound"
        ? stored.rings
        : emptyRings(shape);
    const nextFree = (priority: UpstreamPriority): number => {
      const verdict = judgeTake(rings, shape, priority, now);
      return verdict.kind === "spent" ? verdict.freeAt : now;
    };
    const inWindow = (ring: readonly number[]) => ring.filter((sent) => sent > now - shape.windowMs).length;
    return {
      ...shape,
      inWindow: inWindow(rings.all),
      backgroundInWindow: inWindow(rings.background),
      nextFreeAt: { interactive: nextFree("interactive"), background: nextFree("background") },
    };
  }

  #shapeOf(upstream: N): RingShape {
    const shape = this.#shapes.get(upstream);
    if (shape === undefined)
      throw new ConfigurationError(`The upstream budget has no limit for "${upstream}"`);
    return shape;
  }

  async #recreate(
    key: BudgetKey & { upstream: N },
    shape: RingShape,
    current: StoredRing,
    was: "absent" | "damaged" | "resizable",
  ): Promise<void> {
    const now = this.#now();
    const rings: Rings =
      was === "absent"
        ? emptyRings(shape)
        : was === "resizable" && current.kind === "present" && current.rings
          ? resizeRings(current.rings, shape)
          : spentRings(shape, now);
    this.#stats.roundTrips++;
    // Lost to another container that recreated it first: either way, the next take reads the new one.
    if (await this.#store.replace(key, rings, current, expiryOf(now))) {
      this.#options.onRecreated?.({ ...key, was });
    }
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

const expiryOf = (now: number): number => Math.floor(now / 1000) + RING_LIFETIME_SECONDS;

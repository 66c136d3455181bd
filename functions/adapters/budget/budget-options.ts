/**
 * What the shared upstream budget (shared-upstream-budget.ts) is built with and reports:
 * its settings and dependencies, the events it emits, its counters and a snapshot of a
 * client's rings.
 */
import type { UpstreamName } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import type { RingName } from "./budget-ring.ts";
import type { RingStore } from "./budget-ring-store.ts";

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
  /** Tests only: fewer bucket times per ring than production's 72, so small limits have buckets of several slots. */
  maxBuckets?: number;
  onTaken?: (event: BudgetTakenEvent<N>) => void;
  onRefused?: (event: BudgetRefusedEvent<N>) => void;
  /** An upstream answered 429. */
  onUpstreamRateLimited?: (upstream: N) => void;
  /** A missing, damaged or resized ring was written anew. */
  onRecreated?: (event: {
    upstream: N;
    client: string;
    ring: RingName;
    was: "absent" | "damaged" | "resizable";
  }) => void;
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

/** The rings of one client as they are now, for tools, tests and the simulation. */
export interface BudgetSnapshot {
  limit: number;
  backgroundCap: number;
  windowMs: number;
  /** Requests sent within the last window, any priority. */
  inWindow: number;
  /** Requests sent within the last window on the background ring (background work's, and what interactive work borrowed). */
  backgroundRingInWindow: number;
  /** When a slot is next free for each priority (now, when one is free). */
  nextFreeAt: Record<UpstreamPriority, number>;
}

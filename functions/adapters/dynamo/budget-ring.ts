/**
 * The rules of the shared upstream budget's ring (docs/decisions/0003-upstream-budget.md),
 * as plain functions over the numbers it holds, so that the DynamoDB condition and the
 * code that reads a refusal agree, and a model test can check them.
 *
 * A ring is the send times (epoch ms) of the last N requests in the order they were taken,
 * oldest first. Every take appends a time no earlier than the newest and drops the oldest,
 * so the ring never decreases. A request may be sent at `t` when the ring's deciding slot
 * is at least one window old:
 *
 * - interactive work decides on the oldest slot (the N-th newest): at most N requests in
 *   any window;
 * - background work decides on the B-th newest (B = the background cap): it may only take
 *   while fewer than B requests of any kind are in the window, so N − B always stay for
 *   interactive work.
 */
import type { UpstreamPriority } from "#core/ports.ts";

export interface RingShape {
  /** N: requests per window. */
  limit: number;
  /** B: requests in one window beyond which background work may not take (1 ≤ B ≤ N). */
  backgroundCap: number;
  /** The window: one minute plus the safety margin. */
  windowMs: number;
}

/** What the ring says of a take at `t`. */
export type RingVerdict =
  | { kind: "free" }
  /** No slot for this priority before `freeAt` (epoch ms). */
  | { kind: "spent"; freeAt: number }
  /** The newest slot is later than `t` (another clock, or a take computed later but written first). */
  | { kind: "behind"; newest: number };

/** B for a limit and the share background work may use. Never 0: background work must be able to move. */
export const backgroundCapOf = (limit: number, share: number): number =>
  Math.min(limit, Math.max(1, Math.floor(limit * share + 1e-9)));

/** The slot whose age decides a take of this priority. */
export const decidingIndex = (shape: RingShape, priority: UpstreamPriority): number =>
  priority === "interactive" ? 0 : shape.limit - shape.backgroundCap;

/** The same test the DynamoDB condition makes (`slots[i] <= t − window AND slots[N−1] <= t`). */
export const judgeTake = (
  ring: readonly number[],
  shape: RingShape,
  priority: UpstreamPriority,
  t: number,
): RingVerdict => {
  const newest = ring[shape.limit - 1] ?? 0;
  if (newest > t) return { kind: "behind", newest };
  const deciding = ring[decidingIndex(shape, priority)] ?? 0;
  return deciding <= t - shape.windowMs
    ? { kind: "free" }
    : { kind: "spent", freeAt: deciding + shape.windowMs };
};

/**
 * When this priority's `k`-th next slot frees (k = 0: the next one), if nothing else is
 * taken meanwhile. Waiters that collided spread over the next few instead of all waking for
 * the same one.
 */
export const freeAtOf = (
  ring: readonly number[],
  shape: RingShape,
  priority: UpstreamPriority,
  k: number,
): number => {
  const index = Math.min(decidingIndex(shape, priority) + k, shape.limit - 1);
  return (ring[index] ?? 0) + shape.windowMs;
};

/** How many next slots of this priority there are to spread over. */
export const upcomingSlotsOf = (shape: RingShape, priority: UpstreamPriority): number =>
  shape.limit - decidingIndex(shape, priority);

/** The ring after a take at `t`. */
export const takeSlot = (ring: readonly number[], t: number): number[] => [...ring.slice(1), t];

/** A ring with no request in it: what a missing item is (nothing was sent in the last day). */
export const emptyRing = (limit: number): number[] => Array.from({ length: limit }, () => 0);

/**
 * A ring as if `limit` requests had just been sent: what a damaged item is replaced with,
 * since what it recorded is unknown. Costs at most one window of refusals, never a request
 * over the limit.
 */
export const spentRing = (limit: number, now: number): number[] => Array.from({ length: limit }, () => now);

/**
 * A ring of another length (the limit was changed) carried over to `limit`: its newest times
 * are kept; slots it did not have are free (the old limit allowed no more in the window).
 */
export const resizeRing = (ring: readonly number[], limit: number): number[] =>
  ring.length >= limit ? ring.slice(ring.length - limit) : [...emptyRing(limit - ring.length), ...ring];

export type RingHealth = "sound" | "resizable" | "damaged";

/**
 * Whether stored values can be used as they are (`sound`), carried over to another limit
 * (`resizable`: a sound ring of another length), or must be replaced (`damaged`: not
 * non-negative integers in order, or times beyond `latestPlausible`, i.e. from a clock far
 * ahead or garbage).
 */
export const ringHealth = (
  values: readonly number[] | undefined,
  limit: number,
  latestPlausible: number,
): RingHealth => {
  if (!values || values.length === 0) return "damaged";
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? Number.NaN;
    if (!Number.isSafeInteger(value) || value < 0 || value > latestPlausible) return "damaged";
    if (i > 0 && value < (values[i - 1] ?? 0)) return "damaged";
  }
  return values.length === limit ? "sound" : "resizable";
};

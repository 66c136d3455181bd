/**
 * The rules of the shared upstream budget's rings (docs/decisions/0003-upstream-budget.md),
 * as plain functions over the numbers they hold, so that the DynamoDB condition and the
 * code that reads a refusal agree, and a model test can check them.
 *
 * A budget holds two rings of send times (epoch ms), each in the order the slots were
 * taken, oldest first: `all`, the last N requests of any priority, and `background`, the
 * last B background requests (B = the background cap, N's share for background work).
 * Every take appends a time no earlier than the newest and drops the oldest, so a ring
 * never decreases. A request may be sent at `t` when the deciding slots are at least one
 * window old:
 *
 * - interactive work decides on `all[0]` (the N-th newest): at most N requests of any
 *   kind in any window;
 * - background work decides on `all[0]` and `background[0]` (the B-th newest background
 *   request): at most B background requests in any window, and never more than N in all.
 *
 * So interactive work always has N − B slots background work cannot touch, and may also
 * use whatever background work leaves of its B; background work gets its B whatever
 * interactive work does with the rest.
 */
import type { UpstreamPriority } from "#core/ports.ts";

export interface RingShape {
  /** N: requests per window. */
  limit: number;
  /** B: background requests per window (1 ≤ B ≤ N). */
  backgroundCap: number;
  /** The window: one minute plus the safety margin. */
  windowMs: number;
}

export interface Rings {
  /** The last N send times, any priority. */
  all: readonly number[];
  /** The last B background send times. */
  background: readonly number[];
}

/** What the rings say of a take at `t`. */
export type RingVerdict =
  | { kind: "free" }
  /** No slot for this priority before `freeAt` (epoch ms). */
  | { kind: "spent"; freeAt: number }
  /** The newest slot is later than `t` (another clock, or a take that read the clock later but was written first). */
  | { kind: "behind"; newest: number };

/** B for a limit and the share background work may use. Never 0: background work must be able to move. */
export const backgroundCapOf = (limit: number, share: number): number =>
  Math.min(limit, Math.max(1, Math.floor(limit * share + 1e-9)));

/** The same test the DynamoDB condition makes. */
export const judgeTake = (
  rings: Rings,
  shape: RingShape,
  priority: UpstreamPriority,
  t: number,
): RingVerdict => {
  const newest = Math.max(rings.all[shape.limit - 1] ?? 0, rings.background[shape.backgroundCap - 1] ?? 0);
  if (newest > t) return { kind: "behind", newest };
  const freeAt = freeAtOf(rings, shape, priority, 0);
  return freeAt <= t ? { kind: "free" } : { kind: "spent", freeAt };
};

/**
 * When this priority's `k`-th next slot frees (k = 0: the next one), if nothing else is
 * taken meanwhile. Waiters that collided spread over the next few instead of all waking
 * for the same one.
 */
export const freeAtOf = (rings: Rings, shape: RingShape, priority: UpstreamPriority, k: number): number => {
  const all = rings.all[Math.min(k, shape.limit - 1)] ?? 0;
  if (priority === "interactive") return all + shape.windowMs;
  const background = rings.background[Math.min(k, shape.backgroundCap - 1)] ?? 0;
  return Math.max(all, background) + shape.windowMs;
};

/** How many next slots of this priority there are to spread over. */
export const upcomingSlotsOf = (shape: RingShape, priority: UpstreamPriority): number =>
  priority === "interactive" ? shape.limit : shape.backgroundCap;

/** The rings after a take at `t`. */
export const takeSlot = (rings: Rings, priority: UpstreamPriority, t: number): Rings => ({
  all: [...rings.all.slice(1), t],
  background: priority === "background" ? [...rings.background.slice(1), t] : [...rings.background],
});

const times = (length: number, value: number): number[] => Array.from({ length }, () => value);

/** Rings with no request in them: what a missing item is (nothing was sent in the last day). */
export const emptyRings = (shape: RingShape): Rings => ({
  all: times(shape.limit, 0),
  background: times(shape.backgroundCap, 0),
});

/**
 * Rings as if N requests had just been sent: what a damaged item is replaced with, since
 * what it recorded is unknown. Costs at most one window of refusals, never a request over
 * the limit.
 */
export const spentRings = (shape: RingShape, now: number): Rings => ({
  all: times(shape.limit, now),
  background: times(shape.backgroundCap, now),
});

/** A ring carried over to another length: its newest times are kept; slots it did not have are free. */
const resize = (ring: readonly number[], length: number): number[] =>
  ring.length >= length ? ring.slice(ring.length - length) : [...times(length - ring.length, 0), ...ring];

/** Rings of other lengths (the limit or the share was changed) carried over to this shape. */
export const resizeRings = (rings: Rings, shape: RingShape): Rings => ({
  all: resize(rings.all, shape.limit),
  background: resize(rings.background, shape.backgroundCap),
});

export type RingHealth = "sound" | "resizable" | "damaged";

const isSoundRing = (values: readonly number[] | undefined, latestPlausible: number): boolean => {
  if (!values || values.length === 0) return false;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? Number.NaN;
    if (!Number.isSafeInteger(value) || value < 0 || value > latestPlausible) return false;
    if (i > 0 && value < (values[i - 1] ?? 0)) return false;
  }
  return true;
};

/**
 * Whether stored rings can be used as they are (`sound`), carried over to this shape
 * (`resizable`: sound rings of other lengths), or must be replaced (`damaged`: missing, not
 * non-negative integers in order, or times beyond `latestPlausible`, i.e. from a clock far
 * ahead, or garbage).
 */
export const ringHealth = (
  rings: Partial<Rings> | undefined,
  shape: RingShape,
  latestPlausible: number,
): RingHealth => {
  if (!isSoundRing(rings?.all, latestPlausible) || !isSoundRing(rings?.background, latestPlausible)) {
    return "damaged";
  }
  return rings?.all?.length === shape.limit && rings.background?.length === shape.backgroundCap
    ? "sound"
    : "resizable";
};

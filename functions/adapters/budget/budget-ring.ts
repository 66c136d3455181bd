/**
 * The rules of the shared upstream budget's rings (docs/decisions/0003-upstream-budget.md),
 * as plain functions over the numbers they hold, so that the DynamoDB condition and the
 * code that reads a refusal agree, and a model test can check them.
 *
 * A budget holds three rings of send times (epoch ms), each in the order the slots were
 * taken, oldest first: `all`, the last N requests of any priority; `background`, the last
 * B background requests (B = the background cap, N's share for background work); and
 * `interactive`, the last N − B interactive requests. Every take appends a time no earlier
 * than the newest and drops the oldest, so a ring never decreases. A request may be sent at
 * `t` when the deciding slots are at least one window old:
 *
 * - background work decides on `all[0]` (the N-th newest) and `background[0]` (the B-th
 *   newest background request): at most B background requests in any window, and never
 *   more than N in all;
 * - interactive work decides on `all[0]`, and also on `interactive[0]` while background
 *   work wants slots (it is waiting for one, `backgroundWaitsUntil` ≥ `t`, or took one in
 *   the last `BACKGROUND_ACTIVE_MS`, `backgroundTookAt`): then at most N − B interactive
 *   requests in any window.
 *
 * So interactive work always has N − B slots background work cannot touch and may use
 * every slot background work does not want (with a share of 1, B = N, nothing is reserved
 * for either and both decide on `all` alone); background work that wants its B gets them,
 * however many people are asking, instead of losing each slot that frees to the next
 * person who happens to ask first.
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
  /** The last N − B interactive send times. */
  interactive: readonly number[];
  /** Until when (epoch ms) background work said it waits for a slot; absent when it never did. */
  backgroundWaitsUntil?: number;
  /** When (epoch ms) background work last took a slot; absent when it never did. */
  backgroundTookAt?: number;
}

/**
 * Background work that took a slot this recently still wants slots (it is doing the work
 * between two requests), so interactive work keeps to its own N − B meanwhile. Short, so a
 * trickle of background work costs people little.
 */
export const BACKGROUND_ACTIVE_MS = 10_000;

/** Until when (epoch ms, inclusive) background work wants slots, as the rings say; 0 if it does not. */
export const backgroundWantsUntil = (rings: Rings): number =>
  Math.max(
    rings.backgroundWaitsUntil ?? 0,
    rings.backgroundTookAt === undefined ? 0 : rings.backgroundTookAt + BACKGROUND_ACTIVE_MS,
  );

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

/** N − B: the interactive ring's length, the slots background work never takes. */
export const interactiveCapOf = (shape: RingShape): number => shape.limit - shape.backgroundCap;

/** The same test the DynamoDB condition makes. */
export const judgeTake = (
  rings: Rings,
  shape: RingShape,
  priority: UpstreamPriority,
  t: number,
): RingVerdict => {
  const newest = Math.max(
    rings.all[shape.limit - 1] ?? 0,
    rings.background[shape.backgroundCap - 1] ?? 0,
    rings.interactive[interactiveCapOf(shape) - 1] ?? 0,
  );
  if (newest > t) return { kind: "behind", newest };
  const freeAt =
    priority === "interactive" ? interactiveFreeAt(rings, shape, t) : backgroundFreeAtOf(rings, shape, 0);
  return freeAt <= t ? { kind: "free" } : { kind: "spent", freeAt };
};

/**
 * When interactive work may send next: when a slot of `all` frees and, while background work
 * wants slots, one of its own N − B (or background work stops wanting, whichever is first).
 */
const interactiveFreeAt = (rings: Rings, shape: RingShape, t: number): number => {
  const any = (rings.all[0] ?? 0) + shape.windowMs;
  const wantsUntil = backgroundWantsUntil(rings);
  // A share of 1 reserves nothing for anyone: people and background work decide on `all` alike.
  if (wantsUntil < t || interactiveCapOf(shape) === 0) return any;
  const own = (rings.interactive[0] ?? 0) + shape.windowMs;
  return Math.max(any, Math.min(own, wantsUntil + 1));
};

/**
 * When background work's `k`-th next slot frees (k = 0: the next one), if nothing else is
 * taken meanwhile. Waiters that collided spread over the next few instead of all waking
 * for the same one. (Interactive work never waits.)
 */
export const backgroundFreeAtOf = (rings: Rings, shape: RingShape, k: number): number => {
  const all = rings.all[Math.min(k, shape.limit - 1)] ?? 0;
  const background = rings.background[Math.min(k, shape.backgroundCap - 1)] ?? 0;
  return Math.max(all, background) + shape.windowMs;
};

/** Whether a refused background take waits on `all` (interactive work holds the slots), not on its own cap. */
export const backgroundWaitsOnAll = (rings: Rings): boolean =>
  (rings.all[0] ?? 0) > (rings.background[0] ?? 0);

/** The rings after a take at `t`. */
export const takeSlot = (rings: Rings, priority: UpstreamPriority, t: number): Rings => ({
  ...rings,
  all: [...rings.all.slice(1), t],
  background: priority === "background" ? [...rings.background.slice(1), t] : [...rings.background],
  interactive:
    priority === "interactive" && rings.interactive.length > 0
      ? [...rings.interactive.slice(1), t]
      : [...rings.interactive],
});

const times = (length: number, value: number): number[] => Array.from({ length }, () => value);

/** Rings with no request in them: what a missing item is (nothing was sent in the last day). */
export const emptyRings = (shape: RingShape): Rings => ({
  all: times(shape.limit, 0),
  background: times(shape.backgroundCap, 0),
  interactive: times(interactiveCapOf(shape), 0),
});

/**
 * Rings as if N requests had just been sent: what a damaged item is replaced with, since
 * what it recorded is unknown. Costs at most one window of refusals, never a request over
 * the limit.
 */
export const spentRings = (shape: RingShape, now: number): Rings => ({
  all: times(shape.limit, now),
  background: times(shape.backgroundCap, now),
  interactive: times(interactiveCapOf(shape), now),
});

/** A ring carried over to another length: its newest times are kept; slots it did not have are free. */
const resize = (ring: readonly number[], length: number): number[] =>
  ring.length >= length ? ring.slice(ring.length - length) : [...times(length - ring.length, 0), ...ring];

/** Rings of other lengths (the limit or the share was changed) carried over to this shape. */
export const resizeRings = (rings: Rings, shape: RingShape): Rings => ({
  all: resize(rings.all, shape.limit),
  background: resize(rings.background, shape.backgroundCap),
  interactive: resize(rings.interactive, interactiveCapOf(shape)),
});

export type RingHealth = "sound" | "resizable" | "damaged";

const isSoundRing = (
  values: readonly number[] | undefined,
  latestPlausible: number,
  mayBeEmpty = false,
): boolean => {
  if (!values || (values.length === 0 && !mayBeEmpty)) return false;
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
  if (
    !isSoundRing(rings?.all, latestPlausible) ||
    !isSoundRing(rings?.background, latestPlausible) ||
    // Empty when the share leaves interactive work no slots of its own, or when the item predates the ring.
    !isSoundRing(rings?.interactive, latestPlausible, true)
  ) {
    return "damaged";
  }
  return rings?.all?.length === shape.limit &&
    rings.background?.length === shape.backgroundCap &&
    rings.interactive?.length === interactiveCapOf(shape)
    ? "sound"
    : "resizable";
};

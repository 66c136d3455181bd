/**
 * The rules of the shared upstream budget's rings (docs/decisions/0008-budget-in-constant-size.md),
 * as plain functions over the numbers they hold, so that the DynamoDB condition, the code that
 * reads a refusal, the in-memory store and the model test agree.
 *
 * A budget of N requests a window is two disjoint rings: `background` of B slots (B = N's
 * share for background work) and `interactive` of the other N − B (none with a share of 1).
 * Background work takes only from its ring; interactive work from its own, and from the
 * background ring while background work wants no slots (it took none in the last
 * `BACKGROUND_ACTIVE_MS` and waits for none). Each ring bounds the requests taken from it
 * in any window, so together they never exceed N, background work never exceeds B, and
 * while background work wants slots interactive work keeps to its own N − B.
 *
 * A ring of S slots is a first-in first-out queue of send times: a take at `t` reuses the
 * oldest slot if it is at least one window old and records `t` as the newest. Stored slot
 * by slot it grows with S; stored here it does not: consecutive slots are grouped in
 * buckets of G (G = ⌈S / MAX_BUCKETS⌉, so at most MAX_BUCKETS times are kept whatever the
 * limit) and each bucket keeps only its newest time. A slot then reads as its bucket's time,
 * never earlier than its own: the ring can only refuse a little early (by less than one
 * bucket's spread), never let a request through early. With S ≤ MAX_BUCKETS, G = 1 and the
 * ring is exact.
 *
 * - `bucketTimes`: the newest time of each sealed bucket, oldest first; `bucketTimes[0]` is the
 *   one the next take reuses a slot of, and `headLeft` (1..G) how many of its slots are left;
 * - `tailCount` (0..G − 1): takes in the open bucket, whose time is `newest` (the newest take);
 * - so S = headLeft + G × (size(bucketTimes) − 1) + tailCount, kept by every take.
 *
 * A take at `t` requires `bucketTimes[0] ≤ t − window` and `newest ≤ t` (times never decrease
 * in the order takes are written: that is what makes the first-in first-out argument hold),
 * then uses up a slot of the head bucket (dropping it when it was the last: `dropsHead`) and
 * adds `t` to the open bucket (sealing it into `bucketTimes` when it is full: `seals`).
 */
import type { UpstreamPriority } from "#core/ports.ts";

/** The most bucket times a ring keeps: at 9 bytes each, a ring item stays under 1 KB (one write unit). */
export const MAX_BUCKETS = 72;

/**
 * Background work that took a slot this recently still wants slots (it is doing the work
 * between two requests), so interactive work keeps to its own N − B meanwhile. Short, so a
 * trickle of background work costs people little.
 */
export const BACKGROUND_ACTIVE_MS = 10_000;

export type RingName = "background" | "interactive";

/** One ring's size: S slots in buckets of G. */
export interface RingSize {
  slots: number;
  bucket: number;
}

/** A budget's two rings and its window. */
export interface BudgetShape {
  /** N: requests per window. */
  limit: number;
  /** B: background requests per window (1 ≤ B ≤ N). */
  backgroundCap: number;
  /** The window: one minute plus the safety margin. */
  windowMs: number;
  background: RingSize;
  /** N − B slots; `undefined` with a share of 1 (nothing reserved for interactive work). */
  interactive: RingSize | undefined;
}

export interface RingState extends RingSize {
  bucketTimes: readonly number[];
  headLeft: number;
  tailCount: number;
  /** The newest take's time (0 when none). */
  newest: number;
  /** Background ring only: when (epoch ms) background work last took a slot. */
  backgroundTookAt?: number;
  /** Background ring only: until when (epoch ms) background work said it waits for a slot. */
  backgroundWaitsUntil?: number;
}

/** Which form of the take the ring's state calls for (the DynamoDB update cannot branch). */
export interface TakeForm {
  /**
   * Nothing was taken within the window (`newest ≤ t − window`): every slot is free, so the
   * ring is written anew, empty but for this take. Without it, the open bucket's first
   * slots, taken a window or more ago, would read as this take's time.
   */
  resets: boolean;
  dropsHead: boolean;
  seals: boolean;
  /** size(bucketTimes) before the take. */
  sealedCount: number;
}

/** B for a limit and the share background work may use. Never 0: background work must be able to move. */
export const backgroundCapOf = (limit: number, share: number): number =>
  Math.min(limit, Math.max(1, Math.floor(limit * share + 1e-9)));

export const ringSizeOf = (slots: number, maxBuckets = MAX_BUCKETS): RingSize => ({
  slots,
  bucket: Math.max(1, Math.ceil(slots / maxBuckets)),
});

/** `maxBuckets` other than {@link MAX_BUCKETS} only in tests: buckets of several slots at small limits. */
export const budgetShapeOf = (
  limit: number,
  share: number,
  windowMs: number,
  maxBuckets = MAX_BUCKETS,
): BudgetShape => {
  const backgroundCap = backgroundCapOf(limit, share);
  return {
    limit,
    backgroundCap,
    windowMs,
    background: ringSizeOf(backgroundCap, maxBuckets),
    interactive: limit > backgroundCap ? ringSizeOf(limit - backgroundCap, maxBuckets) : undefined,
  };
};

const sealedCountOf = (size: RingSize, headLeft: number, tailCount: number): number =>
  (size.slots - headLeft - tailCount) / size.bucket + 1;

/** The form of a take at `t − window` = `cutoff` on this ring. */
export const takeFormOf = (ring: RingState, cutoff: number): TakeForm => {
  const resets = ring.newest <= cutoff;
  const from = resets ? uniformRing(ring, 0) : ring;
  return {
    resets,
    dropsHead: from.headLeft === 1,
    seals: from.tailCount === from.bucket - 1,
    sealedCount: from.bucketTimes.length,
  };
};

export const sameForm = (a: TakeForm, b: TakeForm): boolean =>
  a.resets === b.resets &&
  a.dropsHead === b.dropsHead &&
  a.seals === b.seals &&
  a.sealedCount === b.sealedCount;

/** A ring whose every slot holds `time`: empty (0, what a missing item is) or spent (now: what a damaged one is replaced with). */
export const uniformRing = (size: RingSize, time: number): RingState => {
  const sealed = Math.ceil(size.slots / size.bucket);
  return {
    ...size,
    bucketTimes: Array.from({ length: sealed }, () => time),
    headLeft: size.slots - size.bucket * (sealed - 1),
    tailCount: 0,
    newest: time,
  };
};

/** Every slot's time, oldest first (a slot reads as its bucket's time). */
export const slotTimesOf = (ring: RingState): number[] => {
  const times: number[] = [];
  ring.bucketTimes.forEach((time, index) => {
    const count = index === 0 ? ring.headLeft : ring.bucket;
    for (let i = 0; i < count; i++) times.push(time);
  });
  for (let i = 0; i < ring.tailCount; i++) times.push(ring.newest);
  return times;
};

/**
 * A sound ring of another size (the limit or the share was changed) carried over to `size`:
 * its newest slots are kept (slots it did not have are free), each read as its bucket's
 * time, so never earlier than the request it stands for.
 */
export const resizeRing = (ring: RingState, size: RingSize): RingState => ({
  ...ringOfSlotTimes(slotTimesOf(ring), size),
  ...marksOf(ring),
});

/**
 * A ring holding these send times (in order, oldest first): the newest `size.slots` of
 * them, free slots before them when there are fewer; each bucket keeps its newest.
 */
export const ringOfSlotTimes = (sent: readonly number[], size: RingSize): RingState => {
  const times =
    sent.length >= size.slots
      ? sent.slice(sent.length - size.slots)
      : [...Array.from({ length: size.slots - sent.length }, () => 0), ...sent];
  const ring = uniformRing(size, 0);
  let end = 0;
  const bucketTimes = ring.bucketTimes.map((_, index) => {
    end += index === 0 ? ring.headLeft : size.bucket;
    return times[end - 1] ?? 0;
  });
  return { ...ring, bucketTimes, newest: sent.length === 0 ? 0 : Math.max(...sent) };
};

const marksOf = (ring: RingState) => ({
  ...(ring.backgroundTookAt === undefined ? {} : { backgroundTookAt: ring.backgroundTookAt }),
  ...(ring.backgroundWaitsUntil === undefined ? {} : { backgroundWaitsUntil: ring.backgroundWaitsUntil }),
});

/** The ring after a take at `t` (the form its state calls for at `cutoff` = `t − window`). */
export const takeSlot = (
  ring: RingState,
  t: number,
  cutoff: number,
  priority: UpstreamPriority,
): RingState => {
  const from = ring.newest <= cutoff ? { ...uniformRing(ring, 0), ...marksOf(ring) } : ring;
  const dropsHead = from.headLeft === 1;
  const seals = from.tailCount === from.bucket - 1;
  const kept = dropsHead ? from.bucketTimes.slice(1) : [...from.bucketTimes];
  return {
    ...from,
    bucketTimes: seals ? [...kept, t] : kept,
    headLeft: dropsHead ? from.bucket : from.headLeft - 1,
    tailCount: seals ? 0 : from.tailCount + 1,
    newest: t,
    ...(priority === "background" ? { backgroundTookAt: t } : {}),
  };
};

/** Until when (epoch ms, inclusive) background work wants slots, as the background ring says; 0 if it does not. */
export const backgroundWantsUntil = (ring: RingState): number =>
  Math.max(
    ring.backgroundWaitsUntil ?? 0,
    ring.backgroundTookAt === undefined ? 0 : ring.backgroundTookAt + BACKGROUND_ACTIVE_MS,
  );

/** When the `k`-th next slot of the ring frees (k = 0: the next one), if nothing else is taken meanwhile. */
export const slotFreeAt = (ring: RingState, windowMs: number, k = 0): number => {
  const index = k < ring.headLeft ? 0 : 1 + Math.floor((k - ring.headLeft) / ring.bucket);
  return (ring.bucketTimes[index] ?? ring.newest) + windowMs;
};

/** What a ring says of a take at `t`. */
export type RingVerdict =
  | { kind: "free" }
  /** No slot for this take before `freeAt` (epoch ms). */
  | { kind: "spent"; freeAt: number }
  /** The newest slot is later than `t` (another clock, or a take that read the clock later but was written first). */
  | { kind: "behind"; newest: number };

/**
 * The same test the DynamoDB condition makes. `borrowing`: interactive work on the
 * background ring, which it may use only while background work wants no slots.
 */
export const judgeTake = (ring: RingState, windowMs: number, t: number, borrowing: boolean): RingVerdict => {
  if (ring.newest > t) return { kind: "behind", newest: ring.newest };
  const slot = slotFreeAt(ring, windowMs);
  const wants = backgroundWantsUntil(ring);
  const freeAt = borrowing && wants >= t ? Math.max(slot, wants + 1) : slot;
  return freeAt <= t ? { kind: "free" } : { kind: "spent", freeAt };
};

export type RingHealth = "sound" | "resizable" | "damaged";

const isTime = (value: number, latestPlausible: number): boolean =>
  Number.isSafeInteger(value) && value >= 0 && value <= latestPlausible;

/**
 * Whether a stored ring can be used as it is (`sound`), carried over to this size
 * (`resizable`: a sound ring of another size), or must be replaced (`damaged`: counts that
 * do not add up, times not non-negative integers in order, or beyond `latestPlausible`, i.e.
 * from a clock far ahead).
 */
export const ringHealth = (
  ring: RingState | undefined,
  size: RingSize,
  latestPlausible: number,
): RingHealth => {
  if (ring === undefined) return "damaged";
  const { slots, bucket, headLeft, tailCount, bucketTimes, newest } = ring;
  const counts = [slots, bucket, headLeft, tailCount];
  if (!counts.every(Number.isSafeInteger) || slots < 1 || bucket < 1) return "damaged";
  if (headLeft < 1 || headLeft > bucket || tailCount < 0 || tailCount >= bucket) return "damaged";
  if (sealedCountOf(ring, headLeft, tailCount) !== bucketTimes.length) return "damaged";
  for (let i = 0; i < bucketTimes.length; i++) {
    const time = bucketTimes[i] ?? Number.NaN;
    if (!isTime(time, latestPlausible) || (i > 0 && time < (bucketTimes[i - 1] ?? 0))) return "damaged";
  }
  if (!isTime(newest, latestPlausible) || newest < (bucketTimes.at(-1) ?? 0)) return "damaged";
  return slots === size.slots && bucket === size.bucket ? "sound" : "resizable";
};

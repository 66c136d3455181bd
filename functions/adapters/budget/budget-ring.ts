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
 * - `bucketTimes`: the newest time of each sealed bucket, oldest first; the next take reuses
 *   a slot of `bucketTimes[0]` while `headLeft` (its slots left) is above 0, else of
 *   `bucketTimes[1]` (G + headLeft left);
 * - `tailCount`: takes in the open bucket, whose time is `newest` (the newest take);
 * - so S = headLeft + G × (size(bucketTimes) − 1) + tailCount, kept by every take and repair.
 *
 * A take at `t` requires the slot it reuses to be ≤ `t − window` and `newest ≤ t` (times never
 * decrease in the order takes are written: that is what makes the first-in first-out argument
 * hold). Its forms (`TakeForm`; the DynamoDB update cannot branch):
 *
 * - `reset`: nothing was taken within the window (`newest ≤ t − window`), every slot is free:
 *   the ring is written anew, empty but for this take;
 * - `shift`: the ring is at a bucket's edge (headLeft = 1: the head bucket is dropped; tailCount
 *   = G − 1: the open bucket is sealed into `bucketTimes`), taken in the same write. With G = 1
 *   every take is a shift, and the ring is ADR 0003's exact one;
 * - `step`: anywhere else, and whatever the counts are (headLeft down to −G, tailCount up to
 *   2G − 1): only the counts and `newest` change, so concurrent takes do not refuse each other
 *   for crossing an edge. The take that leaves headLeft at 0 or tailCount at G then `repair`s
 *   the ring (drops the spent bucket, seals the full one); until that write lands, G more
 *   steps still fit.
 *
 * What a ring says of a take (free, spent, behind, to repair): ring-verdict.ts; whether a stored
 * ring is sound, of another size or damaged: ring-health.ts.
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

/** A ring whose newest time is further ahead of this clock than this is damaged (or a clock is badly off). */
export const MAX_CLOCK_AHEAD_MS = 1_000;

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

/** Which form of the take the ring's state calls for (the module's comment says what each does). */
export type TakeForm =
  | { kind: "reset" }
  | { kind: "shift"; dropsHead: boolean; seals: boolean; sealedCount: number }
  | { kind: "step" };

/** What a ring past a bucket's edge needs: buckets dropped from the head (0–2), the open one sealed. */
export interface RingRepair {
  drops: number;
  seals: boolean;
  /** size(bucketTimes) before the repair. */
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

/** The form of a take at `t − window` = `cutoff` on this ring. */
export const takeFormOf = (ring: RingState, cutoff: number): TakeForm => {
  if (ring.newest <= cutoff) return { kind: "reset" };
  const atEdge = ring.bucket === 1 || ring.headLeft === 1 || ring.tailCount === ring.bucket - 1;
  const normal = ring.headLeft >= 1 && ring.tailCount <= ring.bucket - 1;
  return atEdge && normal
    ? {
        kind: "shift",
        dropsHead: ring.headLeft === 1,
        seals: ring.tailCount === ring.bucket - 1,
        sealedCount: ring.bucketTimes.length,
      }
    : { kind: "step" };
};

export const sameForm = (a: TakeForm, b: TakeForm): boolean =>
  a.kind === b.kind &&
  (a.kind !== "shift" ||
    (b.kind === "shift" &&
      a.dropsHead === b.dropsHead &&
      a.seals === b.seals &&
      a.sealedCount === b.sealedCount));

/** What the ring needs to be brought back within a bucket's edges; `undefined` when nothing. */
export const repairOf = (ring: RingState): RingRepair | undefined => {
  const drops = ring.headLeft <= -ring.bucket ? 2 : ring.headLeft <= 0 ? 1 : 0;
  const seals = ring.tailCount >= ring.bucket;
  return drops === 0 && !seals ? undefined : { drops, seals, sealedCount: ring.bucketTimes.length };
};

/** The ring after a repair. */
export const repairRing = (ring: RingState, repair: RingRepair): RingState => {
  const kept = ring.bucketTimes.slice(repair.drops);
  return {
    ...ring,
    bucketTimes: repair.seals ? [...kept, ring.newest] : kept,
    headLeft: ring.headLeft + ring.bucket * repair.drops,
    tailCount: repair.seals ? ring.tailCount - ring.bucket : ring.tailCount,
  };
};

/** Whether the step that left this ring crossed an edge, so that its taker repairs it. */
export const crossedEdge = (after: RingState): boolean =>
  after.bucket > 1 &&
  (after.headLeft === 0 ||
    after.headLeft === -after.bucket ||
    after.tailCount === after.bucket ||
    after.tailCount === 2 * after.bucket - 1);

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

/** The ring's slots as runs of equal times, oldest first: [count, time]. */
export const runsOf = (ring: RingState): [number, number][] => {
  const runs = ring.bucketTimes.map((time, index): [number, number] => [
    index === 0
      ? Math.max(ring.headLeft, 0)
      : index === 1
        ? ring.bucket + Math.min(ring.headLeft, 0)
        : ring.bucket,
    time,
  ]);
  runs.push([ring.tailCount, ring.newest]);
  return runs.filter(([count]) => count > 0);
};

/** Every slot's time, oldest first (a slot reads as its bucket's time). */
export const slotTimesOf = (ring: RingState): number[] =>
  runsOf(ring).flatMap(([count, time]) => Array.from({ length: count }, () => time));

export const marksOf = (ring: RingState) => ({
  ...(ring.backgroundTookAt === undefined ? {} : { backgroundTookAt: ring.backgroundTookAt }),
  ...(ring.backgroundWaitsUntil === undefined ? {} : { backgroundWaitsUntil: ring.backgroundWaitsUntil }),
});

/** The ring after a take at `t` (in the form its state calls for at `cutoff` = `t − window`). */
export const takeSlot = (
  ring: RingState,
  t: number,
  cutoff: number,
  priority: UpstreamPriority,
): RingState => {
  const form = takeFormOf(ring, cutoff);
  const from = form.kind === "reset" ? { ...uniformRing(ring, 0), ...marksOf(ring) } : ring;
  const marks = priority === "background" ? { backgroundTookAt: t } : {};
  if (form.kind === "step")
    return { ...from, headLeft: from.headLeft - 1, tailCount: from.tailCount + 1, newest: t, ...marks };
  const dropsHead = from.headLeft === 1;
  const seals = from.tailCount === from.bucket - 1;
  const kept = dropsHead ? from.bucketTimes.slice(1) : [...from.bucketTimes];
  return {
    ...from,
    bucketTimes: seals ? [...kept, t] : kept,
    headLeft: dropsHead ? from.bucket : from.headLeft - 1,
    tailCount: seals ? 0 : from.tailCount + 1,
    newest: t,
    ...marks,
  };
};

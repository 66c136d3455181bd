/**
 * What a ring says of a take (budget-ring.ts has the ring's rules): free, spent until when,
 * behind another clock, or past a bucket's edge and in need of repair. The same test the
 * DynamoDB condition makes (ring-take-request.ts), so a refused take learns from the item it
 * read back when to come again.
 */
import { BACKGROUND_ACTIVE_MS, type RingRepair, type RingState, repairOf, runsOf } from "./budget-ring.ts";

/** Until when (epoch ms, inclusive) background work wants slots, as the background ring says; 0 if it does not. */
export const backgroundWantsUntil = (ring: RingState): number =>
  Math.max(
    ring.backgroundWaitsUntil ?? 0,
    ring.backgroundTookAt === undefined ? 0 : ring.backgroundTookAt + BACKGROUND_ACTIVE_MS,
  );

/** When the `k`-th next slot of the ring frees (k = 0: the next one), if nothing else is taken meanwhile. */
export const slotFreeAt = (ring: RingState, windowMs: number, k = 0): number => {
  let left = k;
  for (const [count, time] of runsOf(ring)) {
    if (left < count) return time + windowMs;
    left -= count;
  }
  return ring.newest + windowMs;
};

/** Whether a step fits the ring as it is (else it must be repaired first). */
const stepFits = (ring: RingState): boolean =>
  ring.tailCount <= 2 * ring.bucket - 2 &&
  (ring.headLeft >= 1 || (ring.headLeft >= 1 - ring.bucket && ring.bucketTimes.length >= 2));

/** What a ring says of a take at `t`. */
export type RingVerdict =
  | { kind: "free" }
  /** No slot for this take before `freeAt` (epoch ms). */
  | { kind: "spent"; freeAt: number }
  /** The newest slot is later than `t` (another clock, or a take that read the clock later but was written first). */
  | { kind: "behind"; newest: number }
  /** Past a bucket's edge further than a step goes: repair it, then take. */
  | { kind: "repair"; repair: RingRepair };

/**
 * The same test the DynamoDB condition makes. `borrowing`: interactive work on the
 * background ring, which it may use only while background work wants no slots.
 */
export const judgeTake = (ring: RingState, windowMs: number, t: number, borrowing: boolean): RingVerdict => {
  if (ring.newest > t) return { kind: "behind", newest: ring.newest };
  const wants = backgroundWantsUntil(ring);
  const borrowFreeAt = borrowing && wants >= t ? wants + 1 : 0;
  if (ring.newest <= t - windowMs) {
    return borrowFreeAt <= t ? { kind: "free" } : { kind: "spent", freeAt: borrowFreeAt };
  }
  const repair = repairOf(ring);
  if (ring.bucket > 1 && !stepFits(ring) && repair) return { kind: "repair", repair };
  const freeAt = Math.max(slotFreeAt(ring, windowMs), borrowFreeAt);
  return freeAt <= t ? { kind: "free" } : { kind: "spent", freeAt };
};

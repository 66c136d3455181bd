/**
 * What an operator (cancelctl, the runbook) reads of one client's budget: each ring read
 * strongly consistent, how many of its slots were sent within the window, and when the next
 * slot frees for each priority. A ring that is missing or damaged reads as empty here: the
 * next take replaces it (shared-upstream-budget.ts).
 */
import type { BudgetSnapshot } from "./budget-options.ts";
import {
  type BudgetShape,
  MAX_CLOCK_AHEAD_MS,
  type RingName,
  type RingSize,
  type RingState,
  slotTimesOf,
  uniformRing,
} from "./budget-ring.ts";
import type { RingStore } from "./budget-ring-store.ts";
import { ringHealth } from "./ring-health.ts";
import { judgeTake } from "./ring-verdict.ts";

export const inspectRings = async (
  store: RingStore,
  shape: BudgetShape,
  now: () => number,
  who: { upstream: string; client: string },
): Promise<BudgetSnapshot> => {
  const read = async (ring: RingName, size: RingSize | undefined): Promise<RingState | undefined> => {
    if (size === undefined) return undefined;
    const stored = await store.read({ ...who, ring });
    return stored.kind === "present" && ringHealth(stored.ring, size, now() + MAX_CLOCK_AHEAD_MS) === "sound"
      ? stored.ring
      : uniformRing(size, 0);
  };
  const background = (await read("background", shape.background)) as RingState;
  const interactive = await read("interactive", shape.interactive);
  const at = now();
  const inWindow = (ring: RingState | undefined) =>
    ring === undefined ? 0 : slotTimesOf(ring).filter((sent) => sent > at - shape.windowMs).length;
  const freeAt = (ring: RingState, borrowing: boolean): number => {
    const verdict = judgeTake(ring, shape.windowMs, at, borrowing);
    return verdict.kind === "spent" ? verdict.freeAt : at;
  };
  const interactiveFreeAt =
    interactive === undefined
      ? freeAt(background, false)
      : Math.min(freeAt(interactive, false), freeAt(background, true));
  return {
    limit: shape.limit,
    backgroundCap: shape.backgroundCap,
    windowMs: shape.windowMs,
    inWindow: inWindow(background) + inWindow(interactive),
    backgroundRingInWindow: inWindow(background),
    nextFreeAt: { interactive: interactiveFreeAt, background: freeAt(background, false) },
  };
};

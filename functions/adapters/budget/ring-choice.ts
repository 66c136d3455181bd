/**
 * Which ring a take goes to (ADR 0008): background work, its own ring; interactive work, its
 * own ring unless this container saw it spent, then background work's (borrowing: the store
 * allows it only while background work wants none); with a share of 1 there is only the one
 * ring, first come first served.
 */
import type { UpstreamPriority } from "#core/ports.ts";
import type { BudgetShape, RingSize } from "./budget-ring.ts";
import { type RingKey, ringKeyText } from "./budget-ring-store.ts";

/** Where one take goes: which ring, and whether interactive work borrows it from background work. */
export interface RingChoice {
  key: RingKey;
  size: RingSize;
  borrowing: boolean;
}

/** A choice's key in the map of rings seen spent. */
export const choiceText = (choice: RingChoice): string =>
  `${ringKeyText(choice.key)}\u0000${choice.borrowing}`;

/**
 * The ring to take from, or, when every ring this priority may use was seen spent (`spentUntil`,
 * by `choiceText`), the time the first of them frees.
 */
export const chooseRing = (
  who: { upstream: string; client: string },
  shape: BudgetShape,
  priority: UpstreamPriority,
  spentUntil: ReadonlyMap<string, number>,
  now: number,
): RingChoice | number => {
  const background: RingChoice = {
    key: { ...who, ring: "background" },
    size: shape.background,
    borrowing: priority === "interactive" && shape.interactive !== undefined,
  };
  if (priority === "background") return background;
  let ownFreeAt = Number.POSITIVE_INFINITY;
  if (shape.interactive !== undefined) {
    const own: RingChoice = {
      key: { ...who, ring: "interactive" },
      size: shape.interactive,
      borrowing: false,
    };
    ownFreeAt = spentUntil.get(choiceText(own)) ?? 0;
    if (ownFreeAt <= now) return own;
  }
  const borrowFreeAt = spentUntil.get(choiceText(background)) ?? 0;
  return borrowFreeAt <= now ? background : Math.min(ownFreeAt, borrowFreeAt);
};

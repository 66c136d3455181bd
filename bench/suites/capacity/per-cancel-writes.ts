/**
 * Suite 8's writes per cancel (../capacity.ts): a write meter's tally divided by the cancels
 * it counted, and that in one line of words for the table. Its siblings: largest-items.ts
 * (each kind of item at its largest), budget-ring-items.ts (the budget's ring items and what
 * a take on them costs).
 */
import type { WriteTally } from "../../support/write-meter.ts";

/** A tally divided by the cancels it counted, rounded to 0.01. */
export const perCancel = (tally: WriteTally, cancels: number) => {
  const divide = (record: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(record).map(([key, value]) => [key, Math.round((value / cancels) * 100) / 100]),
    );
  return {
    items: divide(tally.items),
    units: divide(tally.units),
    unitsByKind: divide(tally.unitsByKind),
    refused: divide(tally.refused),
    refusedUnits: divide(tally.refusedUnits),
  };
};

export type PerCancelWrites = ReturnType<typeof perCancel>;

/** Items, write units, single-item writes' units and refused writes per cancel, in one line. */
export const describeWrites = (figures: PerCancelWrites): string =>
  [
    Object.entries(figures.items)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", "),
    `WCU ${Object.entries(figures.units)
      .map(([where, n]) => `${where} ${n}`)
      .join(", ")}`,
    `of which single-item writes ${Object.entries(figures.unitsByKind)
      .map(([where, n]) => `${where} ${n}`)
      .join(", ")}`,
    ...(Object.keys(figures.refused).length > 0
      ? [
          `refused ${Object.entries(figures.refused).map(([kind, n]) => `${kind} ${n}`)} (WCU ${Object.entries(
            figures.refusedUnits,
          )
            .map(([kind, n]) => `${kind} ${n}`)
            .join(", ")})`,
        ]
      : []),
  ].join("; ");

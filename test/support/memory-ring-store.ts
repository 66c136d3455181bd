/**
 * The shared budget's ring store in memory, with the semantics of the DynamoDB one
 * (functions/adapters/dynamo/budget-ring-store.ts): a take is applied atomically when
 * `size(slots) = N AND slots[i] <= cutoff AND slots[N−1] <= t` holds (comparisons only
 * between numbers, as DynamoDB's), otherwise the item comes back as it is. `latency` is
 * awaited before and after each operation is applied, so a test decides when requests
 * reach the store and when their answers come back (interleavings).
 */
import { isDeepStrictEqual } from "node:util";
import type {
  BudgetKey,
  RingStore,
  RingTake,
  RingTakeResult,
  StoredRing,
} from "#adapters/dynamo/budget-ring-store.ts";

interface Item {
  /** Whatever `slots` holds; `undefined` when the item has no such attribute. */
  slots: unknown;
}

/** One take as the store applied it, in the order it was applied. */
export interface AppliedTake {
  key: string;
  t: number;
  index: number;
  taken: boolean;
  /** The ring the decision was made on (a copy). */
  ring: unknown;
}

export class MemoryRingStore implements RingStore {
  readonly #items = new Map<string, Item>();
  readonly #latency: (phase: "request" | "response") => Promise<void>;
  /** Every take, applied or refused, in the order the store decided them. */
  readonly applied: AppliedTake[] = [];
  operations = 0;

  constructor(options: { latency?: (phase: "request" | "response") => Promise<void> } = {}) {
    this.#latency = options.latency ?? (async () => {});
  }

  /** Sets an item as it is to be found (a ring, garbage, or an item without `slots`). */
  seed(key: BudgetKey, item: Item | undefined): void {
    if (item === undefined) this.#items.delete(keyOf(key));
    else this.#items.set(keyOf(key), { slots: structuredClone(item.slots) });
  }

  /** The raw `slots` of an item (`undefined` when absent). */
  slotsOf(key: BudgetKey): unknown {
    return structuredClone(this.#items.get(keyOf(key))?.slots);
  }

  async take(key: BudgetKey, take: RingTake): Promise<RingTakeResult> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const slots = item?.slots;
    const allowed =
      Array.isArray(slots) &&
      slots.length === take.limit &&
      isNumberAtMost(slots[take.index], take.cutoff) &&
      isNumberAtMost(slots[take.limit - 1], take.t);
    this.applied.push({
      key: keyOf(key),
      t: take.t,
      index: take.index,
      taken: allowed,
      ring: structuredClone(slots),
    });
    let result: RingTakeResult;
    if (allowed) {
      this.#items.set(keyOf(key), { slots: [...(slots as unknown[]).slice(1), take.t] });
      result = { taken: true };
    } else {
      result = { taken: false, current: stored(item) };
    }
    await this.#latency("response");
    return result;
  }

  async replace(key: BudgetKey, values: readonly number[], expected: StoredRing): Promise<boolean> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const unchanged =
      expected.kind === "absent"
        ? item === undefined
        : item !== undefined &&
          (expected.token === undefined
            ? item.slots === undefined
            : isDeepStrictEqual(item.slots, expected.token));
    if (unchanged) this.#items.set(keyOf(key), { slots: [...values] });
    await this.#latency("response");
    return unchanged;
  }

  async read(key: BudgetKey): Promise<StoredRing> {
    return stored(this.#items.get(keyOf(key)));
  }
}

const keyOf = (key: BudgetKey): string => `${key.upstream}#${key.client}`;

const isNumberAtMost = (value: unknown, bound: number): boolean =>
  typeof value === "number" && value <= bound;

const stored = (item: Item | undefined): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const slots = item.slots;
  const values =
    Array.isArray(slots) && slots.every((value) => typeof value === "number")
      ? [...(slots as number[])]
      : undefined;
  return { kind: "present", values, token: structuredClone(slots) };
};

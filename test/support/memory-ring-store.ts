/**
 * The shared budget's ring store in memory, with the semantics of the DynamoDB one
 * (functions/adapters/budget/budget-ring-store.ts): a take is applied atomically when its
 * condition holds (`size(slots) = N AND slots[0] <= cutoff AND slots[N−1] <= t`; the same
 * on `backgroundSlots` for background work; for interactive work, `size(interactiveSlots) =
 * N − B` and its oldest at or before the cutoff unless no background work waits; comparisons
 * only between numbers, as DynamoDB's), otherwise the item comes back as it is. `latency` is awaited before and
 * after each operation is applied, so a test decides when requests reach the store and
 * when their answers come back (interleavings).
 */
import { isDeepStrictEqual } from "node:util";
import type { Rings } from "#adapters/budget/budget-ring.ts";
import type {
  BudgetKey,
  RingStore,
  RingTake,
  RingTakeResult,
  StoredRing,
} from "#adapters/budget/budget-ring-store.ts";

/** An item as stored: each attribute may hold anything, or be missing (`undefined`). */
export interface StoredItem {
  slots: unknown;
  backgroundSlots: unknown;
  interactiveSlots?: unknown;
  backgroundWaitsUntil?: unknown;
  backgroundTookAt?: unknown;
}

export class MemoryRingStore implements RingStore {
  readonly #items = new Map<string, StoredItem>();
  readonly #latency: (phase: "request" | "response") => Promise<void>;
  operations = 0;

  constructor(options: { latency?: (phase: "request" | "response") => Promise<void> } = {}) {
    this.#latency = options.latency ?? (async () => {});
  }

  /** Sets an item as it is to be found (rings, garbage, missing attributes), or removes it. */
  seed(key: BudgetKey, item: StoredItem | undefined): void {
    if (item === undefined) this.#items.delete(keyOf(key));
    else this.#items.set(keyOf(key), structuredClone(item));
  }

  /** The item as stored (a copy), `undefined` when absent. */
  itemOf(key: BudgetKey): StoredItem | undefined {
    return structuredClone(this.#items.get(keyOf(key)));
  }

  async take(key: BudgetKey, take: RingTake): Promise<RingTakeResult> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const ringAllows = (ring: unknown, length: number): ring is unknown[] =>
      Array.isArray(ring) &&
      ring.length === length &&
      isNumberAtMost(ring[0], take.cutoff) &&
      isNumberAtMost(ring[length - 1], take.t);
    const background = take.priority === "background";
    const ownRing = !background && take.interactiveCap > 0;
    const noBackgroundWants =
      (item?.backgroundWaitsUntil === undefined || isNumberBelow(item.backgroundWaitsUntil, take.t)) &&
      (item?.backgroundTookAt === undefined ||
        isNumberBelow(item.backgroundTookAt, take.backgroundActiveSince));
    const interactiveAllows = (ring: unknown): ring is unknown[] =>
      Array.isArray(ring) &&
      ring.length === take.interactiveCap &&
      (isNumberAtMost(ring[0], take.cutoff) || noBackgroundWants);
    const allowed =
      item !== undefined &&
      ringAllows(item.slots, take.limit) &&
      (background
        ? ringAllows(item.backgroundSlots, take.backgroundCap)
        : !ownRing || interactiveAllows(item.interactiveSlots));
    let result: RingTakeResult;
    if (allowed && item) {
      this.#items.set(keyOf(key), {
        ...item,
        slots: [...(item.slots as unknown[]).slice(1), take.t],
        backgroundSlots: background
          ? [...(item.backgroundSlots as unknown[]).slice(1), take.t]
          : item.backgroundSlots,
        ...(ownRing ? { interactiveSlots: [...(item.interactiveSlots as unknown[]).slice(1), take.t] } : {}),
        ...(background ? { backgroundTookAt: take.t } : {}),
      });
      result = { taken: true };
    } else {
      result = { taken: false, current: stored(item) };
    }
    await this.#latency("response");
    return result;
  }

  async replace(key: BudgetKey, rings: Rings, expected: StoredRing): Promise<boolean> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const unchanged =
      expected.kind === "absent"
        ? item === undefined
        : item !== undefined &&
          isDeepStrictEqual(item.slots, expected.token.slots) &&
          isDeepStrictEqual(item.backgroundSlots, expected.token.backgroundSlots);
    if (unchanged)
      this.#items.set(keyOf(key), {
        slots: [...rings.all],
        backgroundSlots: [...rings.background],
        interactiveSlots: [...rings.interactive],
      });
    await this.#latency("response");
    return unchanged;
  }

  async markBackgroundWaiting(key: BudgetKey, until: number): Promise<void> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const later = item?.backgroundWaitsUntil === undefined || isNumberBelow(item.backgroundWaitsUntil, until);
    if (item && later) this.#items.set(keyOf(key), { ...item, backgroundWaitsUntil: until });
    await this.#latency("response");
  }

  async read(key: BudgetKey): Promise<StoredRing> {
    return stored(this.#items.get(keyOf(key)));
  }
}

const keyOf = (key: BudgetKey): string => `${key.upstream}#${key.client}`;

const isNumberAtMost = (value: unknown, bound: number): boolean =>
  typeof value === "number" && value <= bound;

const isNumberBelow = (value: unknown, bound: number): boolean => typeof value === "number" && value < bound;

const numbers = (value: unknown): number[] | undefined =>
  Array.isArray(value) && value.every((element) => typeof element === "number") ? [...value] : undefined;

/**
 * A copy of a stored attribute (numbers, strings, arrays of them, nested arrays, plain
 * objects). Not structuredClone: the model test reads the item back after every refused
 * take, and structuredClone's serialisation was 15% of the unit tests' CPU time.
 */
const copyOf = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(copyOf);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, copyOf(field)]));
  return value;
};

const stored = (item: StoredItem | undefined): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const all = numbers(item.slots);
  const background = numbers(item.backgroundSlots);
  const interactive = item.interactiveSlots === undefined ? [] : numbers(item.interactiveSlots);
  const waitsUntil = typeof item.backgroundWaitsUntil === "number" ? item.backgroundWaitsUntil : undefined;
  const tookAt = typeof item.backgroundTookAt === "number" ? item.backgroundTookAt : undefined;
  return {
    kind: "present",
    rings:
      all && background && interactive
        ? {
            all,
            background,
            interactive,
            ...(waitsUntil === undefined ? {} : { backgroundWaitsUntil: waitsUntil }),
            ...(tookAt === undefined ? {} : { backgroundTookAt: tookAt }),
          }
        : undefined,
    token: { slots: copyOf(item.slots), backgroundSlots: copyOf(item.backgroundSlots) },
  };
};

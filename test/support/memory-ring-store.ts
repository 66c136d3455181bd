/**
 * The shared budget's ring store in memory, with the semantics of the DynamoDB one
 * (functions/adapters/budget/budget-ring-store.ts and ring-take-request.ts): a take is applied
 * atomically when the condition of its form holds (`slots = S AND bucket = G AND newest <= t`;
 * a reset: `newest <= cutoff`; a shift: `bucketTimes[0] <= cutoff` and the counts at the edge it
 * expects; a step: the slot it reuses, of the head bucket or the next, at or before the cutoff,
 * the counts within reach; for a borrowing take, that background work wants no slots;
 * comparisons only between numbers, as DynamoDB's), and a repair when the edge is still passed
 * and the buckets are as counted; otherwise the item comes back as it is. The updates are
 * written out here attribute by attribute, as the UpdateExpressions say, not with the rules' own
 * `takeSlot` and `repairRing`, so the model test checks the rules against an independent
 * reading of the store. `latency` is awaited before and after each operation is applied, so a
 * test decides when requests reach the store and when their answers come back (interleavings).
 */
import type { RingRepair, RingSize, RingState } from "#adapters/budget/budget-ring.ts";
import type {
  RingKey,
  RingRepairResult,
  RingStore,
  RingTake,
  RingTakeResult,
} from "#adapters/budget/budget-ring-store.ts";
import {
  type AttributeReader,
  type StoredRing,
  storedRingFrom,
  TOKEN_ATTRIBUTES,
} from "#adapters/budget/stored-ring.ts";

/** An item as stored: each attribute may hold anything, or be missing (`undefined`). */
export interface StoredItem {
  slots?: unknown;
  bucket?: unknown;
  bucketTimes?: unknown;
  headLeft?: unknown;
  tailCount?: unknown;
  newest?: unknown;
  backgroundTookAt?: unknown;
  backgroundWaitsUntil?: unknown;
}

export class MemoryRingStore implements RingStore {
  readonly #items = new Map<string, StoredItem>();
  readonly #latency: (phase: "request" | "response") => Promise<void>;
  operations = 0;

  constructor(options: { latency?: (phase: "request" | "response") => Promise<void> } = {}) {
    this.#latency = options.latency ?? (async () => {});
  }

  /** Sets an item as it is to be found (a ring, garbage, missing attributes), or removes it. */
  seed(key: RingKey, item: StoredItem | undefined): void {
    if (item === undefined) this.#items.delete(keyOf(key));
    else this.#items.set(keyOf(key), copyOf(item) as StoredItem);
  }

  /** The item as stored (a copy), `undefined` when absent. */
  itemOf(key: RingKey): StoredItem | undefined {
    const item = this.#items.get(keyOf(key));
    return item === undefined ? undefined : (copyOf(item) as StoredItem);
  }

  async take(key: RingKey, take: RingTake): Promise<RingTakeResult> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const updated = item === undefined ? undefined : taken(item, take);
    if (updated) this.#items.set(keyOf(key), updated);
    const result: RingTakeResult = updated
      ? take.form.kind === "step"
        ? {
            taken: true,
            counts: { headLeft: updated.headLeft as number, tailCount: updated.tailCount as number },
          }
        : { taken: true }
      : { taken: false, current: stored(item) };
    await this.#latency("response");
    return result;
  }

  async repair(key: RingKey, size: RingSize, repair: RingRepair): Promise<RingRepairResult> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const times = item?.bucketTimes;
    const headLeft = item?.headLeft;
    const tailCount = item?.tailCount;
    const allowed =
      item !== undefined &&
      item.slots === size.slots &&
      item.bucket === size.bucket &&
      Array.isArray(times) &&
      times.length === repair.sealedCount &&
      (repair.drops === 0 || isNumberAtMost(headLeft, repair.drops === 2 ? -size.bucket : 0)) &&
      (!repair.seals || (typeof tailCount === "number" && tailCount >= size.bucket));
    let result: RingRepairResult;
    if (allowed && item && Array.isArray(times)) {
      const kept = times.slice(repair.drops);
      this.#items.set(keyOf(key), {
        ...item,
        bucketTimes: repair.seals ? [...kept, item.newest] : kept,
        headLeft: (headLeft as number) + repair.drops * size.bucket,
        tailCount: repair.seals ? (tailCount as number) - size.bucket : tailCount,
      });
      result = { repaired: true };
    } else {
      result = { repaired: false, current: stored(item) };
    }
    await this.#latency("response");
    return result;
  }

  async replace(key: RingKey, ring: RingState, expected: StoredRing): Promise<boolean> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const unchanged =
      expected.kind === "absent"
        ? item === undefined
        : item !== undefined && TOKEN_ATTRIBUTES.every((name) => sameValue(item[name], expected.token[name]));
    if (unchanged) this.#items.set(keyOf(key), copyOf(ring) as StoredItem);
    await this.#latency("response");
    return unchanged;
  }

  async markBackgroundWaiting(key: RingKey, until: number): Promise<void> {
    await this.#latency("request");
    this.operations++;
    const item = this.#items.get(keyOf(key));
    const later = item?.backgroundWaitsUntil === undefined || isNumberBelow(item.backgroundWaitsUntil, until);
    if (item && later) this.#items.set(keyOf(key), { ...item, backgroundWaitsUntil: until });
    await this.#latency("response");
  }

  async read(key: RingKey): Promise<StoredRing> {
    return stored(this.#items.get(keyOf(key)));
  }
}

const keyOf = (key: RingKey): string => `${key.upstream}#${key.client}#${key.ring}`;

const isNumberAtMost = (value: unknown, bound: number): boolean =>
  typeof value === "number" && value <= bound;

const isNumberBelow = (value: unknown, bound: number): boolean => typeof value === "number" && value < bound;

const numbers = (value: unknown): number[] | undefined =>
  Array.isArray(value) && value.every((element) => typeof element === "number") ? [...value] : undefined;

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A copy of a stored attribute (numbers, strings, arrays of them, nested arrays, plain
 * objects). Not structuredClone: the model test reads the item back after every refused
 * take, and structuredClone's serialisation was 15% of the unit tests' CPU time.
 */
const copyOf = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(copyOf);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, copyOf(field)]),
    );
  return value;
};

/** Plain values as the DynamoDB store reads AttributeValues: one reading of a ring for both. */
const PLAIN_VALUES: AttributeReader<unknown> = {
  number: (value) => (typeof value === "number" ? value : undefined),
  numbers,
  token: copyOf,
};

const stored = (item: StoredItem | undefined): StoredRing => storedRingFrom(item, PLAIN_VALUES);

/** The item after a take, as its UpdateExpression writes it; `undefined` when its condition does not hold. */
const taken = (item: StoredItem, take: RingTake): StoredItem | undefined => {
  const { form, size, t, cutoff } = take;
  const times = item.bucketTimes;
  const { headLeft, tailCount, newest } = item;
  const noBackgroundWants =
    (item.backgroundWaitsUntil === undefined || isNumberBelow(item.backgroundWaitsUntil, t)) &&
    (item.backgroundTookAt === undefined || isNumberBelow(item.backgroundTookAt, take.backgroundActiveSince));
  if (
    item.slots !== size.slots ||
    item.bucket !== size.bucket ||
    !isNumberAtMost(newest, t) ||
    (take.borrowing && !noBackgroundWants)
  )
    return undefined;
  const marks = take.priority === "background" ? { backgroundTookAt: t } : {};
  if (form.kind === "reset") {
    if (!isNumberAtMost(newest, cutoff)) return undefined;
    // An empty ring of S slots in buckets of G: ⌈S / G⌉ bucket times, the head holding the remainder.
    const sealed = Math.ceil(size.slots / size.bucket);
    const left = size.slots - size.bucket * (sealed - 1);
    const zeros = Array.from({ length: sealed }, () => 0);
    const seals = size.bucket === 1;
    const kept = left === 1 ? zeros.slice(1) : zeros;
    return {
      ...item,
      bucketTimes: seals ? [...kept, t] : kept,
      headLeft: left === 1 ? size.bucket : left - 1,
      tailCount: seals ? 0 : 1,
      newest: t,
      ...marks,
    };
  }
  if (typeof headLeft !== "number" || typeof tailCount !== "number" || !Array.isArray(times))
    return undefined;
  if (form.kind === "step") {
    const reused =
      headLeft > 0 ? times[0] : headLeft > -size.bucket && times.length >= 2 ? times[1] : undefined;
    if (tailCount >= 2 * size.bucket - 1 || !isNumberAtMost(reused, cutoff)) return undefined;
    return { ...item, headLeft: headLeft - 1, tailCount: tailCount + 1, newest: t, ...marks };
  }
  const allowed =
    isNumberAtMost(times[0], cutoff) &&
    (form.dropsHead ? headLeft === 1 : headLeft > 1) &&
    (form.seals
      ? tailCount === size.bucket - 1 && times.length === form.sealedCount
      : tailCount < size.bucket - 1);
  if (!allowed) return undefined;
  const kept = form.dropsHead ? times.slice(1) : [...times];
  return {
    ...item,
    bucketTimes: form.seals ? [...kept, t] : kept,
    headLeft: form.dropsHead ? size.bucket : headLeft - 1,
    tailCount: form.seals ? 0 : tailCount + 1,
    newest: t,
    ...marks,
  };
};

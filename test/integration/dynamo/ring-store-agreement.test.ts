/**
 * The model test of the shared budget (test/unit/budget/upstream-budget.model.test.ts) runs
 * its schedules over MemoryRingStore, which evaluates each take's condition and writes its
 * update itself, independently of the expressions sent to DynamoDB (ring-take-request.ts). What
 * the model proves holds for production only if the two agree. This property checks that they
 * do, on DynamoDB Local: random ring items (every count within and past a bucket's edge, times
 * that tie and cross the cutoff, the background marks) under random takes of every form and
 * random repairs, each applied to both stores; both must accept or refuse alike and leave the
 * same item. A defect in an expression that the model's store does not share (a step deciding
 * on the spent head bucket instead of the next one; ADR 0008 says the model missed it) shows
 * here as a disagreement, with fast-check's seed and the smallest case.
 */
import { randomUUID } from "node:crypto";
import { type AttributeValue, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type RingRepair,
  type RingSize,
  type RingState,
  repairOf,
  type TakeForm,
  takeFormOf,
  takeSlot,
} from "#adapters/budget/budget-ring.ts";
import { DynamoRingStore, type RingKey, type RingTake } from "#adapters/budget/budget-ring-store.ts";
import { ringOfSlotTimes } from "#adapters/budget/ring-health.ts";
import { budgetKeyOf } from "#adapters/dynamo/table-definitions.ts";
import { MemoryRingStore, type StoredItem } from "#test/support/memory-ring-store.ts";
import { useDynamoStores } from "./dynamo-stores.ts";

const T0 = 1_772_019_000_000;
const WINDOW_MS = 2_000;
/** Takes have more ways to disagree (three forms, borrowing, the marks) than repairs. */
const TAKE_RUNS = 800;
const REPAIR_RUNS = 400;

const stores = useDynamoStores("ring-agreement");
const ringStore = () => new DynamoRingStore({ client: stores.client, table: stores.tables.idempotencyTable });

/** Few distinct times, a window apart or less, so comparisons tie and cross the cutoff often. */
const time = fc.integer({ min: 0, max: 6 }).map((step) => T0 + step * 1_000);
const size = fc.record({ slots: fc.integer({ min: 1, max: 12 }), bucket: fc.integer({ min: 1, max: 4 }) });

/** Items with any counts within (and past) a bucket's reach: what a damaged or foreign item may hold. */
const anyItem = (ringSize: RingSize): fc.Arbitrary<StoredItem> =>
  fc.record(
    {
      // Mostly the taker's size; sometimes another (a changed limit), which every form refuses.
      slots: fc.oneof({ weight: 9, arbitrary: fc.constant(ringSize.slots) }, fc.integer({ min: 1, max: 12 })),
      bucket: fc.oneof(
        { weight: 9, arbitrary: fc.constant(ringSize.bucket) },
        fc.integer({ min: 1, max: 4 }),
      ),
      bucketTimes: fc.array(time, { maxLength: 5 }).map((times) => times.sort((a, b) => a - b)),
      // Often at a head bucket's edge (1, 0, −1): where steps cross buckets and repairs start.
      headLeft: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(-1, 0, 1)),
      tailCount: fc.integer({ min: 0, max: 8 }),
      newest: time,
      backgroundTookAt: time,
      backgroundWaitsUntil: time,
    },
    { requiredKeys: ["slots", "bucket", "bucketTimes", "headLeft", "tailCount", "newest"] },
  );

/**
 * Rings as takes leave them: one holding some send times, then up to 2G takes more as the rules
 * make them (`takeSlot`), so within a bucket, at its edges, and past them with a repair pending.
 */
const ringItem = (ringSize: RingSize): fc.Arbitrary<StoredItem> =>
  fc
    .record({
      sent: fc.array(time, { maxLength: ringSize.slots + 2 }).map((times) => times.sort((a, b) => a - b)),
      takes: fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 2 * ringSize.bucket }),
      marks: fc.record({ backgroundTookAt: time, backgroundWaitsUntil: time }, { requiredKeys: [] }),
    })
    .map(({ sent, takes, marks }) => {
      let ring: RingState = ringOfSlotTimes(sent, ringSize);
      for (const after of takes) {
        const t = Math.max(ring.newest, T0) + after;
        ring = takeSlot(ring, t, t - WINDOW_MS, "interactive");
      }
      return { ...ring, ...marks } as StoredItem;
    });

const item = (ringSize: RingSize): fc.Arbitrary<StoredItem | undefined> =>
  fc.oneof(
    { weight: 5, arbitrary: ringItem(ringSize) },
    { weight: 4, arbitrary: anyItem(ringSize) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

/** Forms as `takeFormOf` gives them for a sound ring, whose bucket times are never empty (sealedCount ≥ 1). */
const form: fc.Arbitrary<TakeForm> = fc.oneof(
  fc.constant({ kind: "reset" as const }),
  { weight: 2, arbitrary: fc.constant({ kind: "step" as const }) },
  fc.record({
    kind: fc.constant("shift" as const),
    dropsHead: fc.boolean(),
    seals: fc.boolean(),
    sealedCount: fc.integer({ min: 1, max: 5 }),
  }),
);

/** The item read as a ring (every count a number), as a taker that last saw it would. */
const asRing = (found: StoredItem | undefined): RingState | undefined =>
  found === undefined || !Array.isArray(found.bucketTimes) || found.bucketTimes.length === 0
    ? undefined
    : (found as RingState);

const tiesWith = (...values: unknown[]): fc.Arbitrary<number>[] =>
  values.filter((value): value is number => typeof value === "number").map((value) => fc.constant(value));

/**
 * A take: half the time in the form the item's own counts call for (what a taker that saw the
 * item last sends: the accepted paths), else any form (a taker whose view is stale).
 */
const take = (ringSize: RingSize, found: StoredItem | undefined): fc.Arbitrary<RingTake> =>
  fc
    .record({
      // Often the very times the item holds: every `<` and `<=` of the conditions met with a tie.
      t: fc.oneof(time, ...tiesWith(found?.backgroundWaitsUntil, found?.newest)),
      priority: fc.constantFrom("interactive" as const, "background" as const),
      form,
      fromItem: fc.boolean(),
      borrowing: fc.boolean(),
      activeSince: fc.oneof(time, ...tiesWith(found?.backgroundTookAt)),
    })
    .map(({ t, priority, form: anyForm, fromItem, borrowing, activeSince }) => {
      const seen = asRing(found);
      const cutoff = t - WINDOW_MS;
      return {
        t,
        priority,
        cutoff,
        size: ringSize,
        form: fromItem && seen ? takeFormOf(seen, cutoff) : anyForm,
        borrowing: priority === "interactive" && borrowing,
        backgroundActiveSince: activeSince,
        expiresAt: Math.floor(t / 1000) + 86_400,
      };
    });

/**
 * Repairs as the budget asks for them: computed by `repairOf` from a sound ring (ringHealth), so
 * they do something (drop a spent bucket, seal the open one, or both) and count at least one
 * bucket time, and at least the ones they drop. The item they meet in the store may be anything.
 */
const anyRepair: fc.Arbitrary<RingRepair> = fc
  .record({
    drops: fc.integer({ min: 0, max: 2 }),
    seals: fc.boolean(),
    sealedCount: fc.integer({ min: 1, max: 5 }),
  })
  .filter((one) => (one.drops > 0 || one.seals) && one.sealedCount >= one.drops);

/** Half the time the repair the item's own counts call for, when they call for one the budget would send. */
const repair = (found: StoredItem | undefined): fc.Arbitrary<RingRepair> =>
  fc.tuple(anyRepair, fc.boolean()).map(([any, fromItem]) => {
    const seen = asRing(found);
    const own = seen && repairOf(seen);
    return fromItem && own && own.sealedCount >= own.drops ? own : any;
  });

const number = (value: number): AttributeValue => ({ N: String(value) });

const attributesOf = (found: StoredItem): Record<string, AttributeValue> =>
  Object.fromEntries(
    Object.entries(found).map(([name, value]) => [
      name,
      Array.isArray(value) ? { L: value.map((one) => number(one as number)) } : number(value as number),
    ]),
  );

/** The item as DynamoDB holds it, in the model store's terms (expiresAt is DynamoDB's TTL only). */
const readBack = async (key: RingKey): Promise<StoredItem | undefined> => {
  const { pk, sk } = budgetKeyOf(key.upstream, key.client, key.ring);
  const { Item } = await stores.client.send(
    new GetItemCommand({
      TableName: stores.tables.idempotencyTable,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...rest } = Item;
  return Object.fromEntries(
    Object.entries(rest).map(([name, value]) => [
      name,
      value.L ? value.L.map((one) => Number(one.N)) : Number(value.N),
    ]),
  ) as StoredItem;
};

/** Both stores holding `found` under a key of their own. */
const seeded = async (found: StoredItem | undefined) => {
  const key: RingKey = { upstream: "a55", client: `agree-${randomUUID()}`, ring: "background" };
  const memory = new MemoryRingStore();
  memory.seed(key, found);
  if (found !== undefined) {
    const { pk, sk } = budgetKeyOf(key.upstream, key.client, key.ring);
    await stores.client.send(
      new PutItemCommand({
        TableName: stores.tables.idempotencyTable,
        Item: { pk: { S: pk }, sk: { S: sk }, ...attributesOf(found) },
      }),
    );
  }
  return { key, memory };
};

/** `undefined` attributes are absent ones: compare what is there. */
const present = (found: StoredItem | undefined) =>
  found === undefined
    ? undefined
    : Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined));

describe("the model's ring store agrees with DynamoDB's evaluation of the real expressions", () => {
  it("takes of every form: accepted or refused alike, the same item after", async () => {
    await fc.assert(
      fc.asyncProperty(
        size.chain((ringSize) =>
          item(ringSize).chain((found) => fc.tuple(fc.constant(found), take(ringSize, found))),
        ),
        async ([found, oneTake]) => {
          const { key, memory } = await seeded(found);
          const inMemory = await memory.take(key, oneTake);
          const inDynamo = await ringStore().take(key, oneTake);
          expect({ taken: inDynamo.taken, item: present(await readBack(key)) }).toEqual({
            taken: inMemory.taken,
            item: present(memory.itemOf(key)),
          });
          if (inDynamo.taken && inMemory.taken) expect(inDynamo.counts).toEqual(inMemory.counts);
        },
      ),
      { numRuns: TAKE_RUNS },
    );
  });

  it("repairs: applied or refused alike, the same item after", async () => {
    await fc.assert(
      fc.asyncProperty(
        size.chain((ringSize) =>
          item(ringSize).chain((found) => fc.tuple(fc.constant(ringSize), fc.constant(found), repair(found))),
        ),
        async ([ringSize, found, oneRepair]) => {
          const { key, memory } = await seeded(found);
          const inMemory = await memory.repair(key, ringSize, oneRepair);
          const inDynamo = await ringStore().repair(key, ringSize, oneRepair);
          expect({ repaired: inDynamo.repaired, item: present(await readBack(key)) }).toEqual({
            repaired: inMemory.repaired,
            item: present(memory.itemOf(key)),
          });
        },
      ),
      { numRuns: REPAIR_RUNS },
    );
  });
});

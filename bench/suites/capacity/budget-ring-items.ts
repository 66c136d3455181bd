/**
 * Suite 8's budget items (../capacity.ts): for limits of 100, 300, 1,000 and 10,000 a
 * minute (background share 0.6), each of the budget's two ring items written at its
 * largest, one take on it metered, the item read back and sized (goal ≤ 2 write units a
 * take, ADR 0008). Its siblings: per-cancel-writes.ts (writes per cancel), largest-items.ts
 * (each kind of item at its largest).
 */
import { randomUUID } from "node:crypto";
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { RingName } from "#adapters/budget/budget-ring.ts";
import { DynamoRingStore } from "#adapters/budget/budget-ring-store.ts";
import { ringOfSlotTimes } from "#adapters/budget/ring-health.ts";
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { budgetKeyOf } from "#adapters/dynamo/table-definitions.ts";
import { itemSize } from "../../support/dynamo-item-size.ts";
import { meterWrites } from "../../support/write-meter.ts";

export const RING_SIZES = [100, 300, 1_000, 10_000] as const;

export interface RingItem {
  bytes: number;
  wcuPerTake: number;
  buckets: number;
}

export type RingItemsBySize = Record<number, Record<RingName, RingItem>>;

/** The budget's ring items at their largest (every bucket time a real epoch-ms time), and what one take costs. */
export const ringItems = async (
  dynamo: DynamoDBClient,
  idempotencyTable: string,
  tableName: (full: string) => string,
  progress: (message: string) => void,
): Promise<RingItemsBySize> => {
  const ring: RingItemsBySize = {};
  const ringStore = new DynamoRingStore({ client: dynamo, table: idempotencyTable });
  for (const size of RING_SIZES) {
    const who = `capacity-${size}-${randomUUID().slice(0, 8)}`;
    const budget = new SharedUpstreamBudget({
      store: ringStore,
      perMinute: { a55: size, "procure-core": size },
      backgroundShare: 0.6,
      marginMs: 1_000,
    });
    const shape = budget.shapeOf("a55");
    const now = Date.now();
    const byRing = {} as Record<RingName, RingItem>;
    for (const [name, ringSize, priority] of [
      ["background", shape.background, "background"],
      ["interactive", shape.interactive, "interactive"],
    ] as const) {
      if (ringSize === undefined) continue;
      // Every slot a window old but the newest (a second ago): the take reuses the oldest and
      // keeps the rest, as on a ring in use; no two bucket times alike, so none is shorter.
      const sent = Array.from({ length: ringSize.slots }, (_, i) =>
        i === ringSize.slots - 1 ? now - 1_000 : now - 70_000 - (ringSize.slots - i) * 7,
      );
      const key = { upstream: "a55", client: who, ring: name };
      await ringStore.replace(
        key,
        ringOfSlotTimes(sent, ringSize),
        { kind: "absent" },
        Math.floor(now / 1000) + 600,
      );
      const one = meterWrites(dynamo, tableName);
      await budget.take({ upstream: "a55", client: who, priority, deadline: Date.now() + 10_000 });
      const units = one.tally().units.idempotency ?? 0;
      one.detach();
      const { pk, sk } = budgetKeyOf("a55", who, name);
      const item = (
        await dynamo.send(
          new GetItemCommand({
            TableName: idempotencyTable,
            Key: { pk: { S: pk }, sk: { S: sk } },
            ConsistentRead: true,
          }),
        )
      ).Item as Record<string, AttributeValue>;
      byRing[name] = {
        bytes: itemSize(item),
        wcuPerTake: units,
        buckets: item.bucketTimes?.L?.length ?? 0,
      };
    }
    ring[size] = byRing;
    progress(
      `budget of ${size}: ${Object.entries(byRing)
        .map(
          ([name, one]) =>
            `${name} ring ${one.bytes} B (${one.buckets} bucket times), ${one.wcuPerTake} WCU a take`,
        )
        .join("; ")}`,
    );
  }
  return ring;
};

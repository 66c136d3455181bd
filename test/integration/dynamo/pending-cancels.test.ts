import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoPendingCancels } from "#adapters/dynamo/pending-cancels.ts";
import type { CancelOutcome } from "#core/outcome.ts";
import type { PendingCancel } from "#core/ports.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { auditRecord, iso, pendingCancel, T0, uniqueScopeKey } from "./fixtures.ts";

let client: DynamoDBClient;
let tables: TestTables;
let store: DynamoIdempotencyStore;
let pendings: DynamoPendingCancels;
let audit: DynamoAuditLog;

// Each test gets fresh tables: the pending partition is shared by every item of a table.
beforeEach(async () => {
  tables = await createTestTables(client, "pending-cancels");
  store = new DynamoIdempotencyStore({ client, ...tables });
  pendings = new DynamoPendingCancels({ client, ...tables });
  audit = new DynamoAuditLog({ client, auditTable: tables.auditTable });
});

afterEach(async () => {
  await tables?.drop();
});

beforeAll(() => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
});

afterAll(() => {
  client?.destroy();
});

const pendingOutcome = (intentId: string): CancelOutcome => ({
  type: "PENDING",
  target: { type: "intent", id: intentId },
  intent: { id: intentId, status: "PROCESSING", updatedAt: iso(T0), cancelledAt: null },
});

/** Completes a new key with a PENDING outcome and the given pending cancel. */
const completePending = async (pending: PendingCancel): Promise<void> => {
  const begin = await store.begin({
    scopeKey: uniqueScopeKey("pending"),
    payload: { intentId: pending.intentId },
    now: T0,
    lockUntil: T0 + 30_000,
  });
  if (begin.kind !== "acquired") throw new Error(`expected acquired, got ${begin.kind}`);
  const result = await store.complete(begin.lease, {
    outcome: pendingOutcome(pending.intentId),
    audit: auditRecord({ outcome: "PENDING", target: { type: "intent", id: pending.intentId } }),
    pending,
    now: T0,
  });
  expect(result).toBe("completed");
};

describe("DynamoPendingCancels", () => {
  it("lists a pending cancel recorded by the completion transaction, exactly", async () => {
    const pending = pendingCancel("intent-a", {
      reason: "customer asked",
      order: {
        orderId: "order-1",
        charge: { chargeUuid: "charge-1", walletUuid: "wallet-1" },
        scopeKey: "http:app-1:order-1",
      },
    });

    await completePending(pending);

    expect(await pendings.list()).toStrictEqual({ items: [pending] });
  });

  it("pages through pending cancels with one Query per page", async () => {
    // Prepare
    const ids = ["intent-1", "intent-2", "intent-3", "intent-4", "intent-5"];
    for (const id of ids) await completePending(pendingCancel(id));
    const counted = createLocalDynamoClient(inject("dynamoEndpoint"));
    const counter = countRoundTrips(counted);
    const countedPendings = new DynamoPendingCancels({ client: counted, ...tables });

    try {
      // Act
      const first = await countedPendings.list({ limit: 2 });
      const second = await countedPendings.list({ limit: 2, cursor: first.cursor });
      const third = await countedPendings.list({ limit: 2, cursor: second.cursor });

      // Assess
      expect([first, second, third].flatMap((page) => page.items.map((item) => item.intentId))).toStrictEqual(
        ids,
      );
      expect(third.cursor).toBeUndefined();
      expect(counter.byCommand()).toStrictEqual({ QueryCommand: 3 });
    } finally {
      counted.destroy();
    }
  });

  it("keeps the first request time and order when the same intent goes pending again", async () => {
    const order = { orderId: "order-2", charge: { chargeUuid: "c-2", walletUuid: "w-2" }, scopeKey: "k-2" };
    const first = pendingCancel("intent-b", { order, reason: "first" });
    const second = pendingCancel("intent-b", { requestedAt: iso(T0 + 60_000), reason: "second" });

    await completePending(first);
    await completePending(second);

    expect((await pendings.list()).items).toStrictEqual([
      { ...second, requestedAt: first.requestedAt, order },
    ]);
  });

  it("resolves: deletes the entry and appends the audit record together", async () => {
    await completePending(pendingCancel("intent-c"));
    const record = auditRecord({ target: { type: "intent", id: `intent-c-${randomUUID()}` } });

    await pendings.resolve("intent-c", record);

    expect((await pendings.list()).items).toStrictEqual([]);
    expect((await audit.byTarget(record.target)).items).toStrictEqual([record]);
  });

  it("writes nothing when resolving an entry already resolved", async () => {
    await completePending(pendingCancel("intent-d"));
    await pendings.resolve("intent-d", auditRecord());
    const late = auditRecord({ target: { type: "intent", id: `intent-d-${randomUUID()}` } });

    await pendings.resolve("intent-d", late);

    expect((await audit.byTarget(late.target)).items).toStrictEqual([]);
  });
});

import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordExistsError } from "#adapters/dynamo/audit-item.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import type { Cancellation } from "#core/cancellation.ts";
import type { BeginResult, Lease } from "#core/ports.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { auditRecord, cancelledIntent, iso, T0, uniqueScopeKey } from "./fixtures.ts";

let client: DynamoDBClient;
let tables: TestTables;
let store: DynamoCancellationStore;
let keys: DynamoIdempotencyStore;
let work: DynamoUnitOfWork;
let audit: DynamoAuditLog;

beforeAll(async () => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
  tables = await createTestTables(client, "cancellation-store");
  store = new DynamoCancellationStore({ client, ...tables });
  keys = new DynamoIdempotencyStore({ client, ...tables });
  work = new DynamoUnitOfWork({ client, ...tables });
  audit = new DynamoAuditLog({ client, auditTable: tables.auditTable });
});

afterAll(async () => {
  await tables?.drop();
  client?.destroy();
});

const cancellation = (overrides: Partial<Cancellation> = {}): Cancellation => ({
  kind: "order",
  id: `order-${randomUUID().slice(0, 8)}`,
  state: "REQUESTED",
  version: 1,
  request: {
    intentId: "intent_1",
    trigger: "http",
    actor: "app-1",
    owner: "app-1",
    correlationId: "corr-1",
    scopeKey: uniqueScopeKey("order"),
    requestedAt: iso(T0),
  },
  steps: {},
  nextCheckAt: T0 + 60_000,
  checks: 0,
  updatedAt: iso(T0),
  ...overrides,
});

const acquired = (result: BeginResult): Lease => {
  if (result.kind !== "acquired") throw new Error(`expected acquired, got ${JSON.stringify(result)}`);
  return result.lease;
};

describe("DynamoCancellationStore", () => {
  it("creates a cancellation with its audit record in one write, and reads it back exactly", async () => {
    // Prepare
    const opened = cancellation();
    const record = auditRecord({
      target: { type: "order", id: opened.id },
      outcome: "PENDING",
      state: "REQUESTED",
    });
    const counter = countRoundTrips(client);

    // Act
    const written = await work.commitTransition({ next: opened, expectedVersion: null }, [record]);

    // Assess
    expect(written).toBe("written");
    expect(counter.byCommand()).toStrictEqual({ TransactWriteItemsCommand: 1 });
    counter.detach();
    expect(await store.get("order", opened.id, "app-1")).toStrictEqual(opened);
    expect((await audit.byTarget({ type: "order", id: opened.id, owner: "app-1" })).items).toStrictEqual([
      record,
    ]);
  });

  it("refuses to open an order's cancellation twice, writing nothing", async () => {
    const opened = cancellation();
    await work.commitTransition({ next: opened, expectedVersion: null }, []);
    const again = auditRecord({ target: { type: "order", id: opened.id } });

    const second = await work.commitTransition(
      { next: { ...opened, actor: "x" } as Cancellation, expectedVersion: null },
      [again],
    );

    expect(second).toBe("conflict");
    expect(await store.get("order", opened.id, "app-1")).toStrictEqual(opened);
    expect((await audit.byTarget({ type: "order", id: opened.id, owner: "app-1" })).items).toStrictEqual([]);
  });

  it("moves on only from the version it read: a concurrent transition loses and writes nothing", async () => {
    // Prepare
    const opened = cancellation();
    await work.commitTransition({ next: opened, expectedVersion: null }, []);
    const mine = { ...opened, state: "INTENT_PENDING" as const, version: 2 };
    const theirs = { ...opened, state: "CHARGE_DUE" as const, version: 2 };

    // Act: both read version 1; both try to move it on.
    const results = await Promise.all([
      work.commitTransition({ next: mine, expectedVersion: 1 }, [
        auditRecord({ target: { type: "order", id: opened.id } }),
      ]),
      work.commitTransition({ next: theirs, expectedVersion: 1 }, [
        auditRecord({ target: { type: "order", id: opened.id } }),
      ]),
    ]);

    // Assess: exactly one won, and only its record exists.
    expect(results.sort()).toEqual(["conflict", "written"]);
    const stored = await store.get("order", opened.id, "app-1");
    expect(stored?.version).toBe(2);
    expect((await audit.byTarget({ type: "order", id: opened.id, owner: "app-1" })).items).toHaveLength(1);
  });

  it("an audit record that exists already fails the whole transition", async () => {
    const opened = cancellation();
    const existing = auditRecord({ target: { type: "order", id: opened.id } });
    await audit.append(existing);

    await expect(
      work.commitTransition({ next: opened, expectedVersion: null }, [existing]),
    ).rejects.toBeInstanceOf(AuditRecordExistsError);
    expect(await store.get("order", opened.id, "app-1")).toBeUndefined();
  });

  it("lists open cancellations oldest-due first across pages, and only those due; DONE ones leave the index", async () => {
    // Prepare: its own time range, so other tests' items never interleave.
    const base = T0 + 10 * 24 * 3_600_000;
    const open = [5, 1, 4, 2, 3].map((n) => cancellation({ nextCheckAt: base + n * 1_000 }));
    for (const c of open) await work.commitTransition({ next: c, expectedVersion: null }, []);
    const finished = open[0] as Cancellation;
    await work.commitTransition(
      {
        next: {
          ...finished,
          state: "DONE",
          version: 2,
          outcome: cancelledIntent("intent_1"),
          nextCheckAt: undefined,
        },
        expectedVersion: 1,
      },
      [],
    );
    const ours = (page: { items: Cancellation[] }) =>
      page.items.filter((c) => (c.nextCheckAt ?? 0) > base).map((c) => (c.nextCheckAt ?? 0) - base);

    // Act
    const due = await store.due(base + 3_500);
    const first = await store.listOpen({ limit: 2 });
    const pages = [first.items];
    for (let cursor = first.cursor; cursor; ) {
      const page = await store.listOpen({ limit: 2, cursor });
      pages.push(page.items);
      cursor = page.cursor;
    }

    // Assess
    expect(ours(due)).toEqual([1_000, 2_000, 3_000]);
    expect(ours({ items: pages.flat() })).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    const counts = await store.countOpen();
    expect(counts.open).toBeGreaterThanOrEqual(4);
  });
});

describe("DynamoIdempotencyStore with a cancellation", () => {
  it("completes a key and moves its cancellation on in one transaction, or says the cancellation moved", async () => {
    // Prepare: a request opened the order's cancellation; the continuation moved it on meanwhile.
    const opened = cancellation();
    await work.commitTransition({ next: opened, expectedVersion: null }, []);
    await work.commitTransition(
      { next: { ...opened, state: "INTENT_PENDING", version: 2 }, expectedVersion: 1 },
      [],
    );
    const scopeKey = uniqueScopeKey("moved");
    const lease = acquired(await keys.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));
    const record = auditRecord({ target: { type: "order", id: opened.id } });

    // Act
    const stale = await work.finishAttempt(lease, {
      outcome: cancelledIntent("intent_1"),
      audits: [record],
      cancellation: { next: { ...opened, state: "DONE", version: 2 }, expectedVersion: 1 },
      now: T0,
    });
    const fresh = await work.finishAttempt(lease, {
      outcome: cancelledIntent("intent_1"),
      audits: [record],
      cancellation: { next: { ...opened, state: "DONE", version: 3 }, expectedVersion: 2 },
      now: T0,
    });

    // Assess
    expect(stale).toBe("cancellation-moved");
    expect(fresh).toBe("completed");
    expect((await store.get("order", opened.id, "app-1"))?.state).toBe("DONE");
    expect((await audit.byTarget({ type: "order", id: opened.id, owner: "app-1" })).items).toStrictEqual([
      record,
    ]);
  });

  it("joins an intent's open cancellation instead of failing: the key completes, the first cancellation stays", async () => {
    // Prepare: another request's asynchronous cancel of the same intent is open.
    const intentId = `intent-${randomUUID().slice(0, 8)}`;
    const first = cancellation({ kind: "intent", id: intentId, state: "INTENT_PENDING" });
    await work.commitTransition({ next: first, expectedVersion: null }, []);
    const scopeKey = uniqueScopeKey("join");
    const lease = acquired(await keys.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));

    // Act
    const completed = await work.finishAttempt(lease, {
      outcome: { type: "PENDING", target: { type: "intent", id: intentId } },
      audits: [auditRecord({ target: { type: "intent", id: intentId }, outcome: "PENDING" })],
      cancellation: {
        next: { ...first, request: { ...first.request, actor: "second" } },
        expectedVersion: null,
      },
      now: T0,
    });

    // Assess
    expect(completed).toBe("completed");
    expect((await store.get("intent", intentId))?.request.actor).toBe("app-1");
    expect((await audit.byTarget({ type: "intent", id: intentId })).items).toHaveLength(1);
  });

  it("a release that would open a single cancel's cancellation while one is open joins it, keeping its record", async () => {
    // Prepare: an earlier attempt of this charge cancel left its cancellation open.
    const chargeUuid = randomUUID();
    const charge = { chargeUuid, walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479" };
    const first = cancellation({
      kind: "charge",
      id: chargeUuid,
      request: { ...cancellation().request, charge },
    });
    await work.commitTransition({ next: first, expectedVersion: null }, []);
    const scopeKey = uniqueScopeKey("release-join");
    const lease = acquired(await keys.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));
    const failure = auditRecord({
      target: { type: "charge", id: chargeUuid, walletUuid: charge.walletUuid },
    });

    // Act
    await work.releaseAttempt(lease, {
      audits: [failure],
      cancellation: { next: { ...first, version: 1, checks: 7 }, expectedVersion: null },
      now: T0,
    });

    // Assess: the attempt is recorded, the open cancellation untouched, the key released.
    expect((await audit.byTarget({ type: "charge", id: chargeUuid })).items).toStrictEqual([failure]);
    expect(await store.get("charge", chargeUuid)).toStrictEqual(first);
    expect(await keys.begin({ scopeKey, payload: {}, now: T0 + 1, lockUntil: T0 + 30_000 })).toMatchObject({
      kind: "acquired",
      lease: { resumed: true },
    });
  });

  it("a released key writes the cancellation's transition with the attempt's records", async () => {
    const opened = cancellation();
    await work.commitTransition({ next: opened, expectedVersion: null }, []);
    const scopeKey = uniqueScopeKey("release");
    const lease = acquired(await keys.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));
    const step = auditRecord({ target: { type: "intent", id: "intent_1" }, orderId: opened.id });

    await work.releaseAttempt(lease, {
      audits: [step],
      cancellation: { next: { ...opened, state: "CHARGE_DUE", version: 2 }, expectedVersion: 1 },
      now: T0,
    });

    expect((await store.get("order", opened.id, "app-1"))?.state).toBe("CHARGE_DUE");
    expect((await audit.byTarget({ type: "intent", id: "intent_1" })).items).toContainEqual(step);
    expect(await keys.begin({ scopeKey, payload: {}, now: T0 + 1, lockUntil: T0 + 30_000 })).toMatchObject({
      kind: "acquired",
      lease: { resumed: true, attempt: 2 },
    });
  });
});

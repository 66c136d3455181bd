import { randomUUID } from "node:crypto";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordExistsError } from "#adapters/dynamo/audit-item.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoIdempotencyStore, KEY_LIFETIME_SECONDS } from "#adapters/dynamo/idempotency-store.ts";
import { idempotencyItemKey } from "#adapters/dynamo/table-definitions.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import { ValidationError } from "#core/errors.ts";
import { trailOf } from "#core/ownership.ts";
import type { BeginResult, Lease } from "#core/ports.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { auditRecord, cancelledIntent, iso, T0, uniqueScopeKey } from "./fixtures.ts";

let client: DynamoDBClient;
let tables: TestTables;
let store: DynamoIdempotencyStore;
let work: DynamoUnitOfWork;
let audit: DynamoAuditLog;

beforeAll(async () => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
  tables = await createTestTables(client, "idempotency-store");
  store = new DynamoIdempotencyStore({ client, ...tables });
  work = new DynamoUnitOfWork({ client, ...tables });
  audit = new DynamoAuditLog({ client, auditTable: tables.auditTable });
});

afterAll(async () => {
  await tables?.drop();
  client?.destroy();
});

const acquired = (result: BeginResult): Lease => {
  if (result.kind !== "acquired") throw new Error(`expected acquired, got ${JSON.stringify(result)}`);
  return result.lease;
};

const storedKey = async (scopeKey: string) => {
  const { pk, sk } = idempotencyItemKey(scopeKey);
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tables.idempotencyTable,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item;
};

describe("DynamoIdempotencyStore.begin and complete", () => {
  it("takes a new key, completes it, and replays the exact outcome", async () => {
    // Prepare
    const scopeKey = uniqueScopeKey("replay");
    const payload = { intentId: "i-1", reason: "customer asked" };
    const outcome = cancelledIntent("i-1");
    const record = auditRecord({
      target: { type: "intent", id: `i-1-${randomUUID()}` },
      idempotencyKey: scopeKey,
    });

    // Act
    const first = await store.begin({ scopeKey, payload, now: T0, lockUntil: T0 + 30_000 });
    const lease = acquired(first);
    const completed = await work.finishAttempt(lease, { outcome, audits: [record], now: T0 + 500 });
    const replay = await store.begin({ scopeKey, payload, now: T0 + 1_000, lockUntil: T0 + 31_000 });

    // Assess
    expect(lease).toMatchObject({ scopeKey, attempt: 1, resumed: false });
    expect(lease.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(completed).toBe("completed");
    expect(replay).toStrictEqual({ kind: "replay", outcome, completedAt: iso(T0 + 500) });
    expect((await audit.byTarget(trailOf(record))).items).toStrictEqual([record]);
    const item = await storedKey(scopeKey);
    expect(item?.status?.S).toBe("COMPLETED");
    expect(item?.expiresAt?.N).toBe(String(Math.floor(T0 / 1000) + KEY_LIFETIME_SECONDS));
    expect(item?.lockUntil).toBeUndefined();
  });

  it("hashes the payload canonically: key order does not matter", async () => {
    const scopeKey = uniqueScopeKey("canonical");
    const lease = acquired(
      await store.begin({ scopeKey, payload: { a: 1, b: { c: 2, d: 3 } }, now: T0, lockUntil: T0 + 30_000 }),
    );
    await work.finishAttempt(lease, { outcome: cancelledIntent("i-2"), audits: [auditRecord()], now: T0 });

    const again = await store.begin({
      scopeKey,
      payload: { b: { d: 3, c: 2 }, a: 1 },
      now: T0,
      lockUntil: T0 + 1,
    });

    expect(again.kind).toBe("replay");
  });

  it("refuses another payload on a completed key as payload-mismatch", async () => {
    const scopeKey = uniqueScopeKey("mismatch-completed");
    const lease = acquired(
      await store.begin({ scopeKey, payload: { n: 1 }, now: T0, lockUntil: T0 + 30_000 }),
    );
    await work.finishAttempt(lease, { outcome: cancelledIntent("i-3"), audits: [auditRecord()], now: T0 });

    const other = await store.begin({ scopeKey, payload: { n: 2 }, now: T0 + 1, lockUntil: T0 + 30_000 });

    expect(other).toStrictEqual({ kind: "payload-mismatch" });
  });

  it("checks the payload before the status: another payload on a key in progress is a mismatch", async () => {
    const scopeKey = uniqueScopeKey("mismatch-in-progress");
    acquired(await store.begin({ scopeKey, payload: { n: 1 }, now: T0, lockUntil: T0 + 30_000 }));

    const other = await store.begin({ scopeKey, payload: { n: 2 }, now: T0 + 1, lockUntil: T0 + 30_000 });

    expect(other).toStrictEqual({ kind: "payload-mismatch" });
  });

  it("answers in-progress with the seconds left on the lock, at least 1", async () => {
    const scopeKey = uniqueScopeKey("in-progress");
    acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));

    const early = await store.begin({ scopeKey, payload: {}, now: T0 + 1_000, lockUntil: T0 + 31_000 });
    const late = await store.begin({ scopeKey, payload: {}, now: T0 + 29_900, lockUntil: T0 + 59_900 });

    expect(early).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 29 });
    expect(late).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 1 });
  });

  it("refuses a lock that ends before it starts", async () => {
    await expect(
      store.begin({ scopeKey: uniqueScopeKey("bad-lock"), payload: {}, now: T0, lockUntil: T0 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("DynamoIdempotencyStore lock expiry", () => {
  it("lets a retry take over an expired lock (resumed, attempt 2); the first holder then loses", async () => {
    // Prepare
    const scopeKey = uniqueScopeKey("takeover");
    const payload = { intentId: "i-4" };
    const first = acquired(await store.begin({ scopeKey, payload, now: T0, lockUntil: T0 + 1_000 }));

    // Act
    const second = acquired(
      await store.begin({ scopeKey, payload, now: T0 + 2_000, lockUntil: T0 + 32_000 }),
    );
    const lateAudit = auditRecord();
    const firstComplete = await work.finishAttempt(first, {
      outcome: cancelledIntent("i-4"),
      audits: [lateAudit],
      now: T0 + 2_500,
    });
    const secondOutcome = { ...cancelledIntent("i-4"), upstream: { httpStatus: 200, attempts: 2 } };
    const secondComplete = await work.finishAttempt(second, {
      outcome: secondOutcome,
      audits: [auditRecord()],
      now: T0 + 3_000,
    });

    // Assess
    expect(second).toMatchObject({ scopeKey, attempt: 2, resumed: true });
    expect(second.token).not.toBe(first.token);
    expect(firstComplete).toBe("lock-lost");
    expect((await audit.byTarget(trailOf(lateAudit))).items).toStrictEqual([]);
    expect(secondComplete).toBe("completed");
    expect(await store.begin({ scopeKey, payload, now: T0 + 4_000, lockUntil: T0 + 5_000 })).toStrictEqual({
      kind: "replay",
      outcome: secondOutcome,
      completedAt: iso(T0 + 3_000),
    });
  });

  it("counts attempts across repeated takeovers", async () => {
    const scopeKey = uniqueScopeKey("attempt-3");
    acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 1_000 }));
    acquired(await store.begin({ scopeKey, payload: {}, now: T0 + 2_000, lockUntil: T0 + 3_000 }));

    const third = acquired(
      await store.begin({ scopeKey, payload: {}, now: T0 + 4_000, lockUntil: T0 + 5_000 }),
    );

    expect(third).toMatchObject({ attempt: 3, resumed: true });
    expect((await storedKey(scopeKey))?.attempt?.N).toBe("3");
  });

  it("refuses to take over an expired lock with another payload", async () => {
    const scopeKey = uniqueScopeKey("takeover-mismatch");
    acquired(await store.begin({ scopeKey, payload: { n: 1 }, now: T0, lockUntil: T0 + 1_000 }));

    const other = await store.begin({ scopeKey, payload: { n: 2 }, now: T0 + 2_000, lockUntil: T0 + 3_000 });

    expect(other).toStrictEqual({ kind: "payload-mismatch" });
  });
});

describe("DynamoIdempotencyStore 24-hour expiry (checked on read, TTL is lazy)", () => {
  const dayLater = T0 + KEY_LIFETIME_SECONDS * 1_000;

  it("takes a completed key again once its 24 hours are over, even with another payload", async () => {
    const scopeKey = uniqueScopeKey("expired-completed");
    const lease = acquired(
      await store.begin({ scopeKey, payload: { n: 1 }, now: T0, lockUntil: T0 + 30_000 }),
    );
    await work.finishAttempt(lease, {
      outcome: cancelledIntent("i-5"),
      audits: [auditRecord()],
      now: T0 + 100,
    });
    // One second before expiry it still replays.
    expect(
      (await store.begin({ scopeKey, payload: { n: 1 }, now: dayLater - 1_000, lockUntil: dayLater })).kind,
    ).toBe("replay");

    const again = await store.begin({
      scopeKey,
      payload: { n: 2 },
      now: dayLater,
      lockUntil: dayLater + 30_000,
    });

    expect(again).toMatchObject({ kind: "acquired", lease: { attempt: 1, resumed: false } });
  });

  it("starts over (attempt 1, not resumed) on an expired key that was never completed", async () => {
    const scopeKey = uniqueScopeKey("expired-in-progress");
    acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));

    const again = await store.begin({
      scopeKey,
      payload: {},
      now: dayLater + 5_000,
      lockUntil: dayLater + 35_000,
    });

    expect(again).toMatchObject({ kind: "acquired", lease: { attempt: 1, resumed: false } });
  });
});

describe("DynamoIdempotencyStore.release", () => {
  it("keeps the key as RELEASED and appends the audit record: a retry runs again, as a resumed attempt", async () => {
    const scopeKey = uniqueScopeKey("release");
    const lease = acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));
    const record = auditRecord({ outcome: "FAILED", retryable: true, detail: "upstream 503" });

    await work.releaseAttempt(lease, { audits: [record], now: T0 });

    expect((await storedKey(scopeKey))?.status?.S).toBe("RELEASED");
    expect((await storedKey(scopeKey))?.lockUntil).toBeUndefined();
    expect((await audit.byTarget(trailOf(record))).items).toStrictEqual([record]);
    // The released attempt may have acted upstream: the retry is told so (it re-reads or reuses its key).
    expect(
      await store.begin({ scopeKey, payload: {}, now: T0 + 1_000, lockUntil: T0 + 30_000 }),
    ).toMatchObject({
      kind: "acquired",
      lease: { attempt: 2, resumed: true },
    });
  });

  it("refuses a released key to another payload", async () => {
    const scopeKey = uniqueScopeKey("release-mismatch");
    const lease = acquired(
      await store.begin({ scopeKey, payload: { a: 1 }, now: T0, lockUntil: T0 + 30_000 }),
    );
    await work.releaseAttempt(lease, {
      audits: [auditRecord({ outcome: "FAILED", retryable: true })],
      now: T0,
    });

    expect(
      await store.begin({ scopeKey, payload: { a: 2 }, now: T0 + 1_000, lockUntil: T0 + 30_000 }),
    ).toStrictEqual({ kind: "payload-mismatch" });
  });

  it("leaves a key taken over by someone else alone, and writes nothing: its holder records the truth", async () => {
    const scopeKey = uniqueScopeKey("release-lost");
    const first = acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 1_000 }));
    const second = acquired(
      await store.begin({ scopeKey, payload: {}, now: T0 + 2_000, lockUntil: T0 + 60_000 }),
    );
    const record = auditRecord({ outcome: "FAILED", retryable: true });

    await work.releaseAttempt(first, { audits: [record], now: T0 });

    expect((await storedKey(scopeKey))?.lockToken?.S).toBe(second.token);
    expect((await storedKey(scopeKey))?.status?.S).toBe("IN_PROGRESS");
    expect((await audit.byTarget(trailOf(record))).items).toStrictEqual([]);
  });
});

describe("DynamoIdempotencyStore transactions", () => {
  it("writes nothing when the audit record already exists", async () => {
    // Prepare
    const scopeKey = uniqueScopeKey("duplicate-audit");
    const record = auditRecord();
    await audit.append(record);
    const lease = acquired(await store.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }));

    // Act
    const completing = work.finishAttempt(lease, {
      outcome: cancelledIntent("i-6"),
      audits: [record],
      now: T0,
    });

    // Assess
    await expect(completing).rejects.toBeInstanceOf(AuditRecordExistsError);
    expect((await storedKey(scopeKey))?.status?.S).toBe("IN_PROGRESS");
  });
});

describe("DynamoIdempotencyStore under concurrency", () => {
  it("gives one key to exactly one of 50 concurrent begins; the others are in progress", async () => {
    const scopeKey = uniqueScopeKey("race");

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        store.begin({ scopeKey, payload: { intentId: "i-7" }, now: T0, lockUntil: T0 + 30_000 }),
      ),
    );

    expect(results.filter((result) => result.kind === "acquired")).toHaveLength(1);
    expect(results.filter((result) => result.kind === "in-progress")).toHaveLength(49);
  });
});

describe("DynamoIdempotencyStore round trips", () => {
  it("takes 2 round trips for begin + the unit of work's finish, and 1 for a replay", async () => {
    // Prepare: a client of its own, so other files' traffic cannot be counted.
    const countedClient = createLocalDynamoClient(inject("dynamoEndpoint"));
    const counter = countRoundTrips(countedClient);
    const countedStore = new DynamoIdempotencyStore({ client: countedClient, ...tables });
    const countedWork = new DynamoUnitOfWork({ client: countedClient, ...tables });
    const scopeKey = uniqueScopeKey("round-trips");

    try {
      // Act
      const lease = acquired(
        await countedStore.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 }),
      );
      await countedWork.finishAttempt(lease, {
        outcome: cancelledIntent("i-8"),
        audits: [auditRecord()],
        now: T0,
      });
      const firstCall = counter.byCommand();
      counter.reset();
      const replay = await countedStore.begin({ scopeKey, payload: {}, now: T0 + 1, lockUntil: T0 + 30_000 });

      // Assess
      expect(firstCall).toStrictEqual({ PutItemCommand: 1, TransactWriteItemsCommand: 1 });
      expect(replay.kind).toBe("replay");
      expect(counter.byCommand()).toStrictEqual({ PutItemCommand: 1 });
    } finally {
      counter.detach();
      countedClient.destroy();
    }
  });
});

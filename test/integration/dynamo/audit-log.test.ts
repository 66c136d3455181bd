import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordExistsError } from "#adapters/dynamo/audit-item.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { ValidationError } from "#core/errors.ts";
import type { AuditRecord } from "#core/ports.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { auditRecord, iso, T0 } from "./fixtures.ts";

let client: DynamoDBClient;
let tables: TestTables;
let log: DynamoAuditLog;

beforeAll(async () => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
  tables = await createTestTables(client, "audit-log");
  log = new DynamoAuditLog({ client, auditTable: tables.auditTable });
});

afterAll(async () => {
  await tables?.drop();
  client?.destroy();
});

const newTarget = (): AuditRecord["target"] => ({ type: "intent", id: `intent-${randomUUID()}` });

/** Every page of a listing, following cursors. */
const allPages = async (read: (cursor?: string) => Promise<{ items: AuditRecord[]; cursor?: string }>) => {
  const pages: AuditRecord[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return pages;
};

describe("DynamoAuditLog.append", () => {
  it("round-trips a record with every field exactly", async () => {
    const record: AuditRecord = {
      id: "01JDKZ8Q4M6V1W2X3Y4Z5A6B7C",
      at: "2026-11-23T10:00:00.123Z",
      target: { type: "charge", id: `charge-${randomUUID()}`, walletUuid: "wallet-1" },
      trigger: "bus",
      actor: "bus:orders",
      reason: "order cancelled: 取消",
      outcome: "FAILED",
      retryable: false,
      detail: "A55 answered 422",
      upstream: {
        httpStatus: 422,
        code: "CANCEL_NOT_ALLOWED",
        message: "settled",
        requestId: "req-9",
        latencyMs: 88,
        attempts: 3,
      },
      latencyMs: 91,
      idempotencyKey: "bus:evt-1",
      correlationId: "corr-1",
    };

    await log.append(record);

    expect((await log.byTarget(record.target)).items).toStrictEqual([record]);
  });

  it("round-trips a minimal record without inventing fields", async () => {
    const record = auditRecord({ target: newTarget() });

    await log.append(record);

    expect((await log.byTarget(record.target)).items).toStrictEqual([record]);
  });

  it("is append-only: a second record with the same time and id fails and changes nothing", async () => {
    const record = auditRecord({ target: newTarget() });
    await log.append(record);

    const again = log.append({ ...record, actor: "someone-else" });

    await expect(again).rejects.toBeInstanceOf(AuditRecordExistsError);
    expect((await log.byTarget(record.target)).items).toStrictEqual([record]);
  });

  it("refuses a time not written by toISOString (sort keys compare as strings)", async () => {
    const record = auditRecord({ target: newTarget(), at: "2026-11-23T11:00:00+01:00" });

    await expect(log.append(record)).rejects.toBeInstanceOf(ValidationError);
    expect((await log.byTarget(record.target)).items).toStrictEqual([]);
  });
});

describe("DynamoAuditLog.byTarget", () => {
  it("lists newest first across pages; the last page has no cursor", async () => {
    // Prepare
    const target = newTarget();
    const records = Array.from({ length: 7 }, (_, index) =>
      auditRecord({ target, at: iso(T0 + index * 1_000) }),
    );
    for (const record of records) await log.append(record);

    // Act
    const pages = await allPages((cursor) => log.byTarget(target, { limit: 3, cursor }));

    // Assess
    expect(pages.map((page) => page.length)).toStrictEqual([3, 3, 1]);
    expect(pages.flat()).toStrictEqual([...records].reverse());
  });

  it("gives no cursor when the last page is exactly full", async () => {
    const target = newTarget();
    for (let index = 0; index < 6; index += 1) await log.append(auditRecord({ target, at: iso(T0 + index) }));

    const pages = await allPages((cursor) => log.byTarget(target, { limit: 3, cursor }));

    expect(pages.map((page) => page.length)).toStrictEqual([3, 3]);
  });

  it("keeps records of the same millisecond apart by id", async () => {
    const target = newTarget();
    const first = auditRecord({ target });
    const second = auditRecord({ target });
    await log.append(first);
    await log.append(second);

    expect((await log.byTarget(target)).items).toStrictEqual([second, first]);
  });

  it("refuses a cursor that is garbage or belongs to another target", async () => {
    const target = newTarget();
    for (let index = 0; index < 2; index += 1) await log.append(auditRecord({ target, at: iso(T0 + index) }));
    const { cursor } = await log.byTarget(target, { limit: 1 });
    expect(cursor).toBeDefined();

    await expect(log.byTarget(target, { cursor: "not-a-cursor" })).rejects.toBeInstanceOf(ValidationError);
    await expect(log.byTarget(newTarget(), { cursor })).rejects.toBeInstanceOf(ValidationError);
    await expect(log.byTarget(target, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("DynamoAuditLog.byDay", () => {
  it("lists one UTC day's records of every target, oldest first, across pages", async () => {
    // Prepare: a day no other test writes to, two targets, and the neighbouring days.
    const day = Date.parse("2031-02-03T00:00:00.000Z");
    const inside = [
      auditRecord({ target: newTarget(), at: iso(day) }),
      auditRecord({ target: newTarget(), at: iso(day + 3_600_000) }),
      auditRecord({ target: newTarget(), at: iso(day + 7_200_000) }),
      auditRecord({ target: newTarget(), at: iso(day + 86_399_999) }),
    ];
    const outside = [auditRecord({ at: iso(day - 1) }), auditRecord({ at: iso(day + 86_400_000) })];
    for (const record of [...outside, ...[...inside].reverse()]) await log.append(record);

    // Act
    const pages = await allPages((cursor) => log.byDay("2031-02-03", { limit: 3, cursor }));

    // Assess
    expect(pages.map((page) => page.length)).toStrictEqual([3, 1]);
    expect(pages.flat()).toStrictEqual(inside);
  });

  it("refuses a malformed day", async () => {
    await expect(log.byDay("2031-2-3")).rejects.toBeInstanceOf(ValidationError);
  });
});

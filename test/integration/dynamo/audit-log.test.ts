import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  AUDIT_DAY_SHARDS,
  AuditRecordExistsError,
  auditDayShardOf,
  toAuditItem,
  UNSHARDED_DAY_SLICE,
} from "#adapters/dynamo/audit-item.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { AUDIT_TEXT_MAX_CHARS, capAuditText } from "#core/audit-text.ts";
import { StoreUnavailableError, ValidationError } from "#core/errors.ts";
import { trailOf } from "#core/ownership.ts";
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

const newTarget = (): { type: "intent"; id: string } => ({ type: "intent", id: `intent-${randomUUID()}` });

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

    expect((await log.byTarget(trailOf(record))).items).toStrictEqual([record]);
  });

  it("round-trips a minimal record without inventing fields", async () => {
    const record = auditRecord({ target: newTarget() });

    await log.append(record);

    expect((await log.byTarget(trailOf(record))).items).toStrictEqual([record]);
  });

  it("is append-only: a second record with the same time and id fails and changes nothing", async () => {
    const record = auditRecord({ target: newTarget() });
    await log.append(record);

    const again = log.append({ ...record, actor: "someone-else" });

    await expect(again).rejects.toBeInstanceOf(AuditRecordExistsError);
    expect((await log.byTarget(trailOf(record))).items).toStrictEqual([record]);
  });

  it("refuses a time not written by toISOString (sort keys compare as strings)", async () => {
    const record = auditRecord({ target: newTarget(), at: "2026-11-23T11:00:00+01:00" });

    await expect(log.append(record)).rejects.toBeInstanceOf(ValidationError);
    expect((await log.byTarget(trailOf(record))).items).toStrictEqual([]);
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

/** Every record of a day, slice by slice (each read page by page), in the order each slice gives. */
const everySlice = async (day: string, limit = 1000): Promise<Map<string, AuditRecord[]>> => {
  const slices = new Map<string, AuditRecord[]>();
  for (const slice of log.daySlices(day)) {
    slices.set(slice, (await allPages((cursor) => log.byDay(day, slice, { limit, cursor }))).flat());
  }
  return slices;
};

const rawItems = async (day: string): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tables.auditTable, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []).filter((item) => item.at?.S?.startsWith(day)));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};

describe("DynamoAuditLog.byDay: the day index, write-sharded", () => {
  it("puts each record of a day on one of 16 shards, DAY#<day>#<n> by a hash of its id, and the day's records fill every shard", async () => {
    // Prepare: 400 records of one day (DynamoDB Local does not throttle: the keys are what is tested).
    const day = Date.parse("2031-03-04T00:00:00.000Z");
    const records = Array.from({ length: 400 }, (_, i) => auditRecord({ at: iso(day + i * 1000) }));

    // Act
    for (const record of records) await log.append(record);

    // Assess
    const items = await rawItems("2031-03-04");
    expect(items).toHaveLength(400);
    const perShard = new Map<string, number>();
    for (const item of items) {
      const record = JSON.parse(item.record?.S ?? "{}") as AuditRecord;
      expect(item.gsi1pk?.S).toBe(`DAY#2031-03-04#${auditDayShardOf(record.id)}`);
      expect(item.gsi1sk?.S).toBe(`${record.at}#${record.id}`);
      perShard.set(item.gsi1pk?.S ?? "", (perShard.get(item.gsi1pk?.S ?? "") ?? 0) + 1);
    }
    expect(perShard.size).toBe(AUDIT_DAY_SHARDS);
    // 25 a shard on average; none takes more than twice its share.
    expect(Math.max(...perShard.values())).toBeLessThanOrEqual(50);
  });

  it("reading every slice reads the day: each slice oldest first across pages, every record once, records written before the shards included", async () => {
    // Prepare: a day no other test writes to, its neighbours, and two records written as
    // before the shards (one partition DAY#<day>).
    const day = Date.parse("2031-02-03T00:00:00.000Z");
    const inside = Array.from({ length: 40 }, (_, i) =>
      auditRecord({ target: newTarget(), at: iso(day + i * 2_000_000) }),
    );
    const outside = [auditRecord({ at: iso(day - 1) }), auditRecord({ at: iso(day + 86_400_000) })];
    for (const record of [...outside, ...[...inside].reverse()]) await log.append(record);
    const legacy = [auditRecord({ at: iso(day + 5) }), auditRecord({ at: iso(day + 86_399_999) })];
    for (const record of legacy) {
      const item = { ...toAuditItem(record), gsi1pk: { S: "DAY#2031-02-03" } };
      await client.send(new PutItemCommand({ TableName: tables.auditTable, Item: item }));
    }

    // Act
    const slices = await everySlice("2031-02-03", 2);

    // Assess
    expect([...slices.keys()]).toEqual([
      UNSHARDED_DAY_SLICE,
      ...Array.from({ length: 16 }, (_, n) => String(n)),
    ]);
    expect(slices.get(UNSHARDED_DAY_SLICE)).toEqual(legacy);
    const sortKey = (record: AuditRecord) => `${record.at}#${record.id}`;
    for (const records of slices.values()) {
      expect(records.map(sortKey)).toEqual([...records.map(sortKey)].sort());
    }
    const all = [...slices.values()].flat();
    expect(all).toHaveLength(42);
    expect(new Set(all.map((record) => record.id))).toEqual(new Set([...inside, ...legacy].map((r) => r.id)));
  });

  it("refuses a malformed day, a slice that is not one of the day's, and a cursor of another slice", async () => {
    const day = Date.parse("2031-02-05T00:00:00.000Z");
    const records = Array.from({ length: 64 }, (_, i) => auditRecord({ at: iso(day + i) }));
    for (const record of records) await log.append(record);
    const busy = [...(await everySlice("2031-02-05")).entries()].find(([, items]) => items.length >= 2)?.[0];
    const { cursor } = await log.byDay("2031-02-05", busy ?? "0", { limit: 1 });
    const other = busy === "0" ? "1" : "0";

    await expect(log.byDay("2031-2-5", "0")).rejects.toBeInstanceOf(ValidationError);
    await expect(log.byDay("2031-02-05", "16")).rejects.toMatchObject({ field: "slice" });
    await expect(log.byDay("2031-02-05", "DAY#2031-02-05")).rejects.toMatchObject({ field: "slice" });
    expect(cursor).toBeDefined();
    await expect(log.byDay("2031-02-05", other, { cursor })).rejects.toMatchObject({ field: "cursor" });
    await expect(log.byDay("2031-02-06", busy ?? "0", { cursor })).rejects.toMatchObject({ field: "cursor" });
  });
});

describe("audit items stay inside DynamoDB's 400 KB with outside text capped", () => {
  it("a record whose five outside texts are 400,000 characters at 6 bytes each once written is refused by DynamoDB; capped, it is stored and reads back", async () => {
    // Prepare: \u0001 is written \\u0001 in JSON: 6 bytes a character, the worst case.
    const worst = "\u0001".repeat(400_000);
    const record = auditRecord({
      reason: worst,
      detail: worst,
      upstream: { httpStatus: 500, code: worst, message: worst, requestId: worst },
    });

    // Act
    const uncapped = log.append(record).catch((error: unknown) => error);
    const capped = capAuditText({ ...record, id: auditRecord().id });
    await log.append(capped);

    // Assess
    // DynamoDB refuses the item as invalid: a store failure no retry fixes (StoreRefusedError).
    const refused = await uncapped;
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(refused).toMatchObject({ name: "StoreRefusedError", cause: { name: "ValidationException" } });
    const [stored] = (await log.byTarget(trailOf(capped))).items;
    expect(stored).toEqual(capped);
    const bytes = Buffer.byteLength(JSON.stringify(capped), "utf8");
    expect(bytes).toBeGreaterThan(5 * AUDIT_TEXT_MAX_CHARS * 5);
    expect(bytes).toBeLessThan(126 * 1024);
  });
});

/**
 * A day of audit records, written straight into an audit table (BatchWriteItem, through the
 * adapter's own item mapping), for the report's tests and its benchmark. The mix is what a
 * busy day looks like: mostly cancels, some retried after an operational failure, some
 * refunds, pending intents finished later by the continuation, and a few left open.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { toAuditItem } from "#adapters/dynamo/audit-item.ts";
import type { AuditRecord } from "#core/ports.ts";

const BATCH = 25;

/** Writes the records, retrying what DynamoDB leaves unprocessed. */
export const writeAuditRecords = async (
  client: DynamoDBClient,
  tableName: string,
  records: readonly AuditRecord[],
): Promise<void> => {
  for (let start = 0; start < records.length; start += BATCH) {
    let requests: WriteRequest[] = records
      .slice(start, start + BATCH)
      .map((record) => ({ PutRequest: { Item: toAuditItem(record) } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10) throw new Error("DynamoDB Local kept items unprocessed");
      const output = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = output.UnprocessedItems?.[tableName] ?? [];
    }
  }
};

export interface SyntheticDay {
  records: AuditRecord[];
  /** What a correct report of the day must say. */
  expected: { targets: number; refunds: number; failures: number; notFinal: number };
}

/**
 * Exactly `count` records on `day`, spread over the day. Every tenth target is retried after an
 * operational failure (2 records); every 25th charge needs a refund; every 20th intent is
 * PENDING, and finished by the continuation unless it is a 100th, which stays STUCK; every
 * 50th target's only record is an operational failure.
 */
export const syntheticDay = (day: string, count: number, idPrefix = "r"): SyntheticDay => {
  const records: AuditRecord[] = [];
  const expected = { targets: 0, refunds: 0, failures: 0, notFinal: 0 };
  const start = Date.parse(`${day}T00:00:00.000Z`);
  const step = Math.max(1, Math.floor((24 * 3600 * 1000 - 60_000) / count));
  let n = 0;
  const next = (base: Omit<AuditRecord, "id" | "at" | "latencyMs" | "correlationId">): AuditRecord => {
    n += 1;
    const record: AuditRecord = {
      ...base,
      id: `01J${idPrefix.toUpperCase()}${String(n).padStart(12, "0")}`,
      at: new Date(start + n * step).toISOString(),
      latencyMs: 40 + (n % 60),
      correlationId: `corr-${idPrefix}-${n}`,
    };
    records.push(record);
    return record;
  };
  // A target writes at most 3 records: the mix runs while 3 more fit, single cancels fill the rest.
  for (let t = 0; records.length < count; t++) {
    expected.targets += 1;
    const filling = records.length + 3 > count;
    const charge = t % 2 === 1;
    const target = charge
      ? {
          type: "charge" as const,
          id: `c0ffee00-0000-4000-8000-${String(t).padStart(12, "0")}`,
          walletUuid: "w",
        }
      : { type: "intent" as const, id: `intent_${idPrefix}_${t}` };
    const common = {
      target,
      trigger: t % 3 === 0 ? ("bus" as const) : ("http" as const),
      actor: "storefront",
    };
    if (filling) {
      next({ ...common, outcome: "CANCELLED", upstream: { httpStatus: 200, code: charge ? "canceled" : 0 } });
      continue;
    }
    if (t % 50 === 49) {
      next({
        ...common,
        outcome: "FAILED",
        retryable: true,
        problem: "unavailable",
        upstream: { httpStatus: 503 },
      });
      expected.failures += 1;
      continue;
    }
    if (t % 10 === 0) {
      next({
        ...common,
        outcome: "FAILED",
        retryable: true,
        problem: "rate-limited",
        upstream: { httpStatus: 429 },
      });
    }
    if (charge && t % 25 === 0) {
      next({
        ...common,
        outcome: "REFUND_REQUIRED",
        upstream: { httpStatus: 409, code: "CANCEL_NOT_ALLOWED" },
      });
      expected.refunds += 1;
    } else if (!charge && t % 20 === 0) {
      next({
        ...common,
        outcome: "PENDING",
        state: "INTENT_PENDING",
        upstream: { httpStatus: 200, code: 0 },
      });
      if (t % 100 === 0) {
        next({ ...common, outcome: "PENDING", state: "STUCK", via: "continuation" });
        expected.notFinal += 1;
      } else {
        next({
          ...common,
          outcome: "CANCELLED",
          via: "continuation",
          upstream: { httpStatus: 200, code: 0 },
        });
      }
    } else {
      next({ ...common, outcome: "CANCELLED", upstream: { httpStatus: 200, code: charge ? "canceled" : 0 } });
    }
  }
  return { records, expected };
};

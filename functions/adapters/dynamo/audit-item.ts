/**
 * The one mapping between an {@link AuditRecord} and its DynamoDB item, used by the audit
 * log's own appends and by the idempotency store's and pending cancels' transactions.
 *
 * The whole record is kept as JSON in `record`, so it reads back exactly as written and a
 * field added to `AuditRecord` later is never dropped by a mapping that forgot it. The key
 * and index attributes, plus a few readable copies (`at`, `outcome`, `trigger`), exist for
 * DynamoDB; reads use `record` only.
 *
 * The `byDay` index is write-sharded: a record goes to `DAY#<day>#<n>`, n from a hash of its
 * id, one of {@link AUDIT_DAY_SHARDS}. With one partition per day, every audit write of the
 * day (the record of every refused request included) met one partition's 1,000 write units
 * a second, so a storm of 429s throttled the audit table; the arithmetic for 16 shards is in
 * docs/capacity.md. Records written before the shards are in `DAY#<day>`: readers read that
 * partition too (see {@link AUDIT_DAY_SLICES}).
 */
import { createHash } from "node:crypto";
import type { AttributeValue, Put } from "@aws-sdk/client-dynamodb";
import { CancellationServiceError, ValidationError } from "#core/errors.ts";
import { trailOf } from "#core/ownership.ts";
import type { AuditRecord, TrailRef } from "#core/ports.ts";
import { storeUnavailable } from "./dynamo-errors.ts";

/** An append tried to write a record whose key (time + id) already exists. Nothing was overwritten. */
export class AuditRecordExistsError extends CancellationServiceError {
  override name = "AuditRecordExistsError";
  readonly pk: string;
  readonly sk: string;
  constructor(pk: string, sk: string, options?: ErrorOptions) {
    super(`Audit record ${pk} / ${sk} already exists; audit records are append-only`, options);
    this.pk = pk;
    this.sk = sk;
  }
}

/**
 * Partition of one target's trail: an order's in its owner's namespace (order ids are each
 * client's own; an order id never holds `#`), `TARGET#order#<orderId>` for an order's records
 * written before owners were recorded; an intent's, a charge's or an event's one for all.
 */
export const auditPartitionOf = (trail: TrailRef): string =>
  trail.type === "order" && trail.owner !== undefined
    ? `TARGET#order#${trail.owner}#${trail.id}`
    : `TARGET#${trail.type}#${trail.id}`;

/** Write shards of one UTC day in the `byDay` index (docs/capacity.md: why 16). */
export const AUDIT_DAY_SHARDS = 16;

/** The slice of a day holding the records written before the index was sharded. */
export const UNSHARDED_DAY_SLICE = "unsharded";

/** The shard of the day a record goes to: a hash of its id, so a day's records spread evenly. */
export const auditDayShardOf = (recordId: string): number =>
  createHash("sha256").update(recordId).digest().readUInt32BE(0) % AUDIT_DAY_SHARDS;

/**
 * The slices of a UTC day, the same for every day: every shard, and the unsharded partition
 * of the records written before the shards. Reading each of them whole reads the day.
 */
export const AUDIT_DAY_SLICES: readonly string[] = [
  UNSHARDED_DAY_SLICE,
  ...Array.from({ length: AUDIT_DAY_SHARDS }, (_, shard) => String(shard)),
];

/**
 * The `byDay` partition of one slice of a UTC day: `DAY#<day>#<shard>`, or `DAY#<day>` for
 * the unsharded slice; undefined for a slice that is not one of the day's.
 */
export const auditDayPartitionOf = (day: string, slice: string): string | undefined => {
  if (slice === UNSHARDED_DAY_SLICE) return `DAY#${day}`;
  return AUDIT_DAY_SLICES.includes(slice) ? `DAY#${day}#${slice}` : undefined;
};

const isCanonicalIso = (value: string): boolean => {
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
};

/**
 * The item for a record. `at` must be `Date.prototype.toISOString()` output (UTC,
 * milliseconds): sort keys are compared as strings, so any other spelling would misorder.
 */
export const toAuditItem = (record: AuditRecord): Record<string, AttributeValue> => {
  if (!isCanonicalIso(record.at)) {
    throw new ValidationError(
      "audit.at",
      "Audit time must be a UTC ISO-8601 timestamp as toISOString() writes it",
    );
  }
  if (record.id.length === 0) throw new ValidationError("audit.id", "Audit record id is empty");
  const sortKey = `${record.at}#${record.id}`;
  return {
    pk: { S: auditPartitionOf(trailOf(record)) },
    sk: { S: sortKey },
    gsi1pk: { S: `DAY#${record.at.slice(0, 10)}#${auditDayShardOf(record.id)}` },
    gsi1sk: { S: sortKey },
    at: { S: record.at },
    outcome: { S: record.outcome },
    trigger: { S: record.trigger },
    record: { S: JSON.stringify(record) },
  };
};

/** The `Put` that appends a record inside a transaction, refusing to overwrite. */
export const auditPut = (tableName: string, record: AuditRecord): Put => ({
  TableName: tableName,
  Item: toAuditItem(record),
  ConditionExpression: "attribute_not_exists(pk)",
});

/** The record an item holds. An unreadable item fails closed rather than being skipped. */
export const fromAuditItem = (item: Record<string, AttributeValue>): AuditRecord => {
  const json = item.record?.S;
  try {
    if (json === undefined) throw new TypeError("audit item has no record attribute");
    const record: unknown = JSON.parse(json);
    if (typeof record !== "object" || record === null || typeof (record as AuditRecord).id !== "string") {
      throw new TypeError("audit item record is not an audit record");
    }
    return record as AuditRecord;
  } catch (error) {
    throw storeUnavailable("audit", "read of an unreadable audit item", error);
  }
};

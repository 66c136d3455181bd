/**
 * The one mapping between an {@link AuditRecord} and its DynamoDB item, used by the audit
 * log's own appends and by the idempotency store's and pending cancels' transactions.
 *
 * The whole record is kept as JSON in `record`, so it reads back exactly as written and a
 * field added to `AuditRecord` later is never dropped by a mapping that forgot it. The key
 * and index attributes, plus a few readable copies (`at`, `outcome`, `trigger`), exist for
 * DynamoDB; reads use `record` only.
 */
import type { AttributeValue, Put } from "@aws-sdk/client-dynamodb";
import { CancellationServiceError, ValidationError } from "#core/errors.ts";
import type { AuditRecord } from "#core/ports.ts";
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

/** Partition of one target's trail. */
export const auditPartitionOf = (target: Pick<AuditRecord["target"], "type" | "id">): string =>
  `TARGET#${target.type}#${target.id}`;

/** Partition of one UTC day in the `byDay` index. */
export const auditDayPartitionOf = (day: string): string => `DAY#${day}`;

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
    pk: { S: auditPartitionOf(record.target) },
    sk: { S: sortKey },
    gsi1pk: { S: auditDayPartitionOf(record.at.slice(0, 10)) },
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

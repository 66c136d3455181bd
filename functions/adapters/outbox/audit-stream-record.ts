/**
 * Reads a DynamoDB stream record of the audit table, in the shape Lambda delivers it
 * (attribute values as JSON: `{ "S": "…" }`), back into the audit record it carries.
 *
 * Audit records are append-only, so only INSERTs are outbox items; a MODIFY or REMOVE
 * (none is ever written) announces nothing. The item keeps the whole record as JSON in its
 * `record` attribute (audit-item.ts): the relay reads that, exactly as the audit log does.
 */
import type { DynamoDBRecord } from "aws-lambda";
import type { BulkJobAuditRecord } from "#core/bulk-ports.ts";
import type { AuditRecord } from "#core/ports.ts";
import { UnreadableOutboxRecordError } from "./outbox-errors.ts";

export type StreamRecordReading =
  | { kind: "audit-record"; record: AuditRecord | BulkJobAuditRecord; sequenceNumber: string | undefined }
  | { kind: "not-an-insert"; sequenceNumber: string | undefined };

/**
 * The audit record an INSERT carries.
 *
 * @throws UnreadableOutboxRecordError when an INSERT has no image or no readable `record`
 *   (the table's stream must carry new images)
 */
export const readAuditStreamRecord = (streamRecord: DynamoDBRecord): StreamRecordReading => {
  const sequenceNumber = streamRecord.dynamodb?.SequenceNumber;
  if (streamRecord.eventName !== "INSERT") return { kind: "not-an-insert", sequenceNumber };
  const image = streamRecord.dynamodb?.NewImage;
  if (image === undefined) {
    throw new UnreadableOutboxRecordError(sequenceNumber, "no NewImage (the stream must carry new images)");
  }
  const json = image.record?.S;
  if (json === undefined) throw new UnreadableOutboxRecordError(sequenceNumber, "no record attribute");
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch (error) {
    throw new UnreadableOutboxRecordError(sequenceNumber, "record attribute is not JSON", { cause: error });
  }
  if (isBulkJobRecord(record)) return { kind: "audit-record", record, sequenceNumber };
  if (!isAuditRecord(record)) {
    throw new UnreadableOutboxRecordError(sequenceNumber, "record attribute is not an audit record");
  }
  return { kind: "audit-record", record, sequenceNumber };
};

/** A bulk job's trail record (core/bulk-ports.ts): its final one announces the job's end. */
const isBulkJobRecord = (value: unknown): value is BulkJobAuditRecord => {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<BulkJobAuditRecord>;
  return (
    record.kind === "bulk-job" &&
    typeof record.id === "string" &&
    typeof record.at === "string" &&
    typeof record.jobId === "string"
  );
};

const isAuditRecord = (value: unknown): value is AuditRecord => {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<AuditRecord>;
  return (
    typeof record.id === "string" &&
    typeof record.at === "string" &&
    typeof record.outcome === "string" &&
    typeof record.target === "object" &&
    record.target !== null
  );
};

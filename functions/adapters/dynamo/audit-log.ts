/**
 * The audit log on DynamoDB: append-only items, one target's trail newest first, one
 * day's records oldest first in each of its slices (index `byDay`, write-sharded:
 * audit-item.ts).
 */
import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ValidationError } from "#core/errors.ts";
import type { AuditLog, AuditRecord, Page, TrailOptions, TrailRef } from "#core/ports.ts";
import {
  AUDIT_DAY_SLICES,
  AuditRecordExistsError,
  auditDayPartitionOf,
  auditPartitionOf,
  auditPut,
  fromAuditItem,
} from "./audit-item.ts";
import { conditionFailedItem, storeUnavailable } from "./dynamo-errors.ts";
import { queryPage } from "./query-page.ts";
import { AUDIT_BY_DAY_INDEX } from "./table-definitions.ts";

export interface DynamoAuditLogOptions {
  client: DynamoDBClient;
  auditTable: string;
}

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export class DynamoAuditLog implements AuditLog {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoAuditLogOptions) {
    this.#client = options.client;
    this.#table = options.auditTable;
  }

  /**
   * Appends one record with a single conditional put.
   *
   * @throws AuditRecordExistsError when a record with the same time and id exists (never overwritten)
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async append(record: AuditRecord): Promise<void> {
    const put = auditPut(this.#table, record);
    try {
      await this.#client.send(new PutItemCommand(put));
    } catch (error) {
      if (conditionFailedItem(error)) {
        throw new AuditRecordExistsError(put.Item?.pk?.S ?? "", put.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("audit", "PutItem", error);
    }
  }

  /** One target's records, newest first; with `keep`, only those it keeps (the rest are read past). */
  byTarget(trail: TrailRef, options: TrailOptions = {}): Promise<Page<AuditRecord>> {
    const pk = auditPartitionOf(trail);
    return queryPage({
      client: this.#client,
      store: "audit",
      query: {
        TableName: this.#table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: pk } },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      keyAttributes: ["pk", "sk"],
      partition: { pk },
      limit: options.limit,
      cursor: options.cursor,
      map: fromAuditItem,
      ...(options.keep && { keep: options.keep }),
    });
  }

  /** Every shard of the day's index partition, and the partition of records written before the shards. */
  daySlices(_day: string): readonly string[] {
    return AUDIT_DAY_SLICES;
  }

  /**
   * One slice of a UTC day, oldest first. The index is eventually consistent: a record
   * appended a moment ago may not be listed yet.
   *
   * @throws ValidationError for a malformed day, a slice that is not one of `daySlices`, a
   *   bad limit, or a cursor of another day or slice
   */
  byDay(
    day: string,
    slice: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<Page<AuditRecord>> {
    if (!DAY.test(day)) return Promise.reject(new ValidationError("day", "day must be YYYY-MM-DD"));
    const gsi1pk = auditDayPartitionOf(day, slice);
    if (gsi1pk === undefined) {
      return Promise.reject(
        new ValidationError("slice", "slice must be one of the day's slices (daySlices)"),
      );
    }
    return queryPage({
      client: this.#client,
      store: "audit",
      query: {
        TableName: this.#table,
        IndexName: AUDIT_BY_DAY_INDEX,
        KeyConditionExpression: "gsi1pk = :day",
        ExpressionAttributeValues: { ":day": { S: gsi1pk } },
        ScanIndexForward: true,
      },
      // A GSI page's last key holds the index key and the table key.
      keyAttributes: ["gsi1pk", "gsi1sk", "pk", "sk"],
      partition: { gsi1pk },
      limit: options.limit,
      cursor: options.cursor,
      map: fromAuditItem,
    });
  }
}

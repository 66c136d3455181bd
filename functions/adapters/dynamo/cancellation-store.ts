/**
 * Cancellations (the durable lifecycle records) on DynamoDB, in the idempotency table:
 * `pk = CANCELLATION#<kind>#<id>`, `sk = STATE`; open ones also in the sparse index
 * `byNextCheck` (`dueKey = DUE`, `nextCheckAt`), read oldest-due first.
 *
 * Every transition is one TransactWriteItems: the record's conditional put (on the version
 * it was read at) and its audit records, written together or not at all.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import type { BulkItemFinish } from "#core/bulk-ports.ts";
import type { Cancellation, CancellationKind } from "#core/cancellation.ts";
import type { AuditRecord, CancellationStore, CancellationTransition, Page } from "#core/ports.ts";
import { AuditRecordExistsError, auditPut } from "./audit-item.ts";
import { finishWrites } from "./bulk-items.ts";
import { cancellationPut, fromCancellationItem } from "./cancellation-item.ts";
import { cancellationReasons, storeUnavailable, transactWrite } from "./dynamo-errors.ts";
import { queryPage } from "./query-page.ts";
import { CANCELLATIONS_DUE_INDEX, cancellationKeyOf, DUE_PARTITION } from "./table-definitions.ts";

export interface DynamoCancellationStoreOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
  auditTable: string;
}

const INDEX_KEY = ["dueKey", "nextCheckAt", "pk", "sk"] as const;

export class DynamoCancellationStore implements CancellationStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #auditTable: string;

  constructor(options: DynamoCancellationStoreOptions) {
    this.#client = options.client;
    this.#table = options.idempotencyTable;
    this.#auditTable = options.auditTable;
  }

  /** One strongly consistent read. */
  async get(kind: CancellationKind, id: string): Promise<Cancellation | undefined> {
    const { pk, sk } = cancellationKeyOf(kind, id);
    try {
      const output = await this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ConsistentRead: true,
        }),
      );
      return output.Item === undefined ? undefined : fromCancellationItem(output.Item);
    } catch (error) {
      if (error instanceof Error && error.name === "StoreUnavailableError") throw error;
      throw storeUnavailable("cancellations", "GetItem", error);
    }
  }

  /**
   * Open cancellations due by `now`, oldest-due first. The index is eventually consistent:
   * an item may be seen a moment after it moved on; its transition then fails on the
   * version and is left to whoever moved it.
   */
  due(now: number, options: { limit?: number; cursor?: string } = {}): Promise<Page<Cancellation>> {
    return this.#query("dueKey = :due AND nextCheckAt <= :now", { ":now": { N: String(now) } }, options);
  }

  listOpen(options: { limit?: number; cursor?: string } = {}): Promise<Page<Cancellation>> {
    return this.#query("dueKey = :due", {}, options);
  }

  /** Counts by reading only the `state` of each open one from the index (few: they are the open ones). */
  async countOpen(): Promise<{ open: number; stuck: number }> {
    const counts = { open: 0, stuck: 0 };
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      let output: QueryCommandOutput;
      try {
        output = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: CANCELLATIONS_DUE_INDEX,
            KeyConditionExpression: "dueKey = :due",
            ExpressionAttributeValues: { ":due": { S: DUE_PARTITION } },
            ProjectionExpression: "#state",
            ExpressionAttributeNames: { "#state": "state" },
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        throw storeUnavailable("cancellations", "Query", error);
      }
      for (const item of output.Items ?? []) {
        counts.open++;
        if (item.state?.S === "STUCK") counts.stuck++;
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return counts;
  }

  /**
   * @returns `conflict` when the version moved on (or, creating, the record exists); nothing was written
   * @throws AuditRecordExistsError when an audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async commit(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict"> {
    const items: TransactWriteItem[] = [
      { Put: cancellationPut(this.#table, transition) },
      ...audits.map((record) => ({ Put: auditPut(this.#auditTable, record) })),
      ...(bulkItem ? finishWrites(this.#table, bulkItem) : []),
    ];
    try {
      await transactWrite(this.#client, items);
      return "written";
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0]?.Code === "ConditionalCheckFailed") return "conflict";
      // The bulk item was finished by another writer first: the transition stands without it.
      if (bulkItem && reasons?.[1 + audits.length]?.Code === "ConditionalCheckFailed") {
        return this.commit(transition, audits);
      }
      const clash = reasons?.findIndex((reason) => reason.Code === "ConditionalCheckFailed") ?? -1;
      if (clash > 0) {
        const put = items[clash]?.Put;
        throw new AuditRecordExistsError(put?.Item?.pk?.S ?? "", put?.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("cancellations", "TransactWriteItems", error);
    }
  }

  #query(
    condition: string,
    values: Record<string, { N: string }>,
    options: { limit?: number; cursor?: string },
  ): Promise<Page<Cancellation>> {
    return queryPage({
      client: this.#client,
      store: "cancellations",
      query: {
        TableName: this.#table,
        IndexName: CANCELLATIONS_DUE_INDEX,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: { ":due": { S: DUE_PARTITION }, ...values },
        ScanIndexForward: true,
      },
      keyAttributes: INDEX_KEY,
      partition: { dueKey: DUE_PARTITION },
      limit: options.limit,
      cursor: options.cursor,
      map: fromCancellationItem,
    });
  }
}

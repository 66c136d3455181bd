/**
 * Cancellations (the durable lifecycle records) on DynamoDB, in the idempotency table:
 * `pk = CANCELLATION#<kind>#[<owner>#]<id>`, `sk = STATE`; open ones also in the sparse index
 * `byNextCheck` (`dueKey = DUE`, `nextCheckAt`), read oldest-due first.
 *
 * Reads only: every transition is written by the unit of work (unit-of-work.ts), the record's
 * conditional put (on the version it was read at) with its audit records, in one transaction.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import type { Cancellation, CancellationKind } from "#core/cancellation.ts";
import type { CancellationStore, Page } from "#core/ports.ts";
import { fromCancellationItem } from "./cancellation-item.ts";
import { storeUnavailable } from "./dynamo-errors.ts";
import { queryPage } from "./query-page.ts";
import { CANCELLATIONS_DUE_INDEX, cancellationKeyOf, DUE_PARTITION } from "./table-definitions.ts";

export interface DynamoCancellationStoreOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
}

const INDEX_KEY = ["dueKey", "nextCheckAt", "pk", "sk"] as const;

export class DynamoCancellationStore implements CancellationStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoCancellationStoreOptions) {
    this.#client = options.client;
    this.#table = options.idempotencyTable;
  }

  /** One strongly consistent read; an order's in its owner's namespace (table-definitions.ts). */
  async get(kind: CancellationKind, id: string, owner?: string): Promise<Cancellation | undefined> {
    const { pk, sk } = cancellationKeyOf(kind, id, owner);
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

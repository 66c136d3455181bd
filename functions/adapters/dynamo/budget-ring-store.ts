/**
 * Where the shared budget's rings live: one item per upstream and client in the
 * idempotency table (`pk = BUDGET#<upstream>#<client>`, `sk = RING`), attribute `slots`
 * (a list of N epoch-ms times, oldest first) and `expiresAt` (TTL: a ring idle for a day
 * is deleted, and a missing ring is an empty one).
 *
 * A take is one UpdateItem whose condition is the ring's own rule (budget-ring.ts):
 * `size(slots) = N AND slots[i] <= t − window AND slots[N−1] <= t`, and whose update drops
 * the oldest time and appends `t` (`REMOVE slots[0] SET slots[N] = :t`; both act on the
 * list as it was, so the result is the N newest). A refusal returns the item as it is
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the caller learns in the same round
 * trip when the next slot frees, or that the item is missing or damaged.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { BudgetedUpstream } from "#adapters/http/attempt-budget.ts";
import { conditionFailedItem, storeUnavailable } from "./dynamo-errors.ts";
import { budgetKeyOf } from "./table-definitions.ts";

export interface BudgetKey {
  upstream: BudgetedUpstream;
  client: string;
}

/** One take: the time it is taken at, the slot that decides, and the ring's length. */
export interface RingTake {
  t: number;
  /** Index of the deciding slot (budget-ring.ts `decidingIndex`). */
  index: number;
  /** `t − window`: the deciding slot must be at or before it. */
  cutoff: number;
  limit: number;
  /** TTL, epoch seconds. */
  expiresAt: number;
}

/** The item as read back: absent, or present with its `slots` as numbers (`undefined` when they are not). */
export type StoredRing =
  | { kind: "absent" }
  | {
      kind: "present";
      values: number[] | undefined;
      /** What a replacement must still find there (the stored attribute, as stored). */
      token: unknown;
    };

export type RingTakeResult = { taken: true } | { taken: false; current: StoredRing };

export interface RingStore {
  /** Takes a slot when the ring allows it, atomically; otherwise returns the ring as it is. */
  take(key: BudgetKey, take: RingTake): Promise<RingTakeResult>;
  /** Writes a whole ring, provided the item is still as `expected`; `false` when it changed meanwhile. */
  replace(
    key: BudgetKey,
    values: readonly number[],
    expected: StoredRing,
    expiresAt: number,
  ): Promise<boolean>;
  /** The ring as it is now (a strongly consistent read), for tools and tests. */
  read(key: BudgetKey): Promise<StoredRing>;
}

const NAMES = { "#pk": "pk", "#slots": "slots", "#expiresAt": "expiresAt" } as const;

const numberList = (values: readonly number[]): AttributeValue => ({
  L: values.map((value) => ({ N: String(value) })),
});

/** Reads an item's `slots` attribute; `values` is `undefined` unless it is a list of numbers. */
export const storedRingOf = (item: Record<string, AttributeValue> | undefined): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const slots = item.slots;
  const list = slots?.L;
  const values = list?.every((element) => element.N !== undefined)
    ? list.map((element) => Number(element.N))
    : undefined;
  return { kind: "present", values, token: slots };
};

export class DynamoRingStore implements RingStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBClient; table: string }) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async take(key: BudgetKey, take: RingTake): Promise<RingTakeResult> {
    const { limit, index } = take;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          UpdateExpression: `REMOVE #slots[0] SET #slots[${limit}] = :t, #expiresAt = :expiresAt`,
          ConditionExpression: `size(#slots) = :limit AND #slots[${index}] <= :cutoff AND #slots[${limit - 1}] <= :t`,
          ExpressionAttributeNames: NAMES_WITHOUT_PK,
          ExpressionAttributeValues: {
            ":t": { N: String(take.t) },
            ":cutoff": { N: String(take.cutoff) },
            ":limit": { N: String(limit) },
            ":expiresAt": { N: String(take.expiresAt) },
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { taken: true };
    } catch (error) {
      const refused = conditionFailedItem(error);
      if (refused === undefined) throw storeUnavailable("upstream-budget", "UpdateItem", error);
      return { taken: false, current: storedRingOf(refused.item) };
    }
  }

  async replace(
    key: BudgetKey,
    values: readonly number[],
    expected: StoredRing,
    expiresAt: number,
  ): Promise<boolean> {
    const condition: Pick<
      PutItemCommandInput,
      "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
    > =
      expected.kind === "absent"
        ? {
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": NAMES["#pk"] },
          }
        : expected.token === undefined
          ? {
              ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(#slots)",
              ExpressionAttributeNames: { "#pk": NAMES["#pk"], "#slots": NAMES["#slots"] },
            }
          : {
              ConditionExpression: "#slots = :seen",
              ExpressionAttributeNames: { "#slots": NAMES["#slots"] },
              ExpressionAttributeValues: { ":seen": expected.token as AttributeValue },
            };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: { ...this.#key(key), slots: numberList(values), expiresAt: { N: String(expiresAt) } },
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailedItem(error) !== undefined) return false;
      throw storeUnavailable("upstream-budget", "PutItem", error);
    }
  }

  async read(key: BudgetKey): Promise<StoredRing> {
    try {
      const output = await this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: this.#key(key), ConsistentRead: true }),
      );
      return storedRingOf(output.Item);
    } catch (error) {
      throw storeUnavailable("upstream-budget", "GetItem", error);
    }
  }

  #key(key: BudgetKey): Record<string, AttributeValue> {
    const { pk, sk } = budgetKeyOf(key.upstream, key.client);
    return { pk: { S: pk }, sk: { S: sk } };
  }
}

const NAMES_WITHOUT_PK = { "#slots": NAMES["#slots"], "#expiresAt": NAMES["#expiresAt"] };

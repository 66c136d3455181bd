/**
 * Where the shared budget's rings live: one item per upstream and client in the
 * idempotency table (`pk = BUDGET#<upstream>#<client>`, `sk = RING`), attributes `slots`
 * (the last N send times, any priority, oldest first), `backgroundSlots` (the last B
 * background send times) and `expiresAt` (TTL: rings idle for a day are deleted, and a
 * missing item is empty rings).
 *
 * A take is one UpdateItem whose condition is the rings' own rule (budget-ring.ts): for
 * interactive work `size(slots) = N AND slots[0] <= t − window AND slots[N−1] <= t`, for
 * background work also `size(backgroundSlots) = B AND backgroundSlots[0] <= t − window AND
 * backgroundSlots[B−1] <= t`; the update drops each ring's oldest time and appends `t`
 * (`REMOVE slots[0] SET slots[N] = :t`: both act on the list as it was, so the result is
 * the N newest). A refusal returns the item as it is (`ReturnValuesOnConditionCheckFailure:
 * ALL_OLD`), so the caller learns in the same round trip when the next slot frees, or that
 * the item is missing or damaged.
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
import type { UpstreamPriority } from "#core/ports.ts";
import type { Rings } from "./budget-ring.ts";
import { conditionFailedItem, storeUnavailable } from "./dynamo-errors.ts";
import { budgetKeyOf } from "./table-definitions.ts";

export interface BudgetKey {
  upstream: BudgetedUpstream;
  client: string;
}

/** One take: when it is taken, by whom, and the rings' lengths. */
export interface RingTake {
  t: number;
  priority: UpstreamPriority;
  /** `t − window`: the deciding slots must be at or before it. */
  cutoff: number;
  limit: number;
  backgroundCap: number;
  /** TTL, epoch seconds. */
  expiresAt: number;
}

/** The item as read back: absent, or present with its rings as numbers (`undefined` when they are not both lists of numbers). */
export type StoredRing =
  | { kind: "absent" }
  | {
      kind: "present";
      rings: Rings | undefined;
      /** What a replacement must still find there (the stored attributes, as stored). */
      token: { slots: unknown; backgroundSlots: unknown };
    };

export type RingTakeResult = { taken: true } | { taken: false; current: StoredRing };

export interface RingStore {
  /** Takes a slot when the rings allow it, atomically; otherwise returns the item as it is. */
  take(key: BudgetKey, take: RingTake): Promise<RingTakeResult>;
  /** Writes whole rings, provided the item is still as `expected`; `false` when it changed meanwhile. */
  replace(key: BudgetKey, rings: Rings, expected: StoredRing, expiresAt: number): Promise<boolean>;
  /** The item as it is now (a strongly consistent read), for tools and tests. */
  read(key: BudgetKey): Promise<StoredRing>;
}

const ATTRIBUTES = { slots: "slots", backgroundSlots: "backgroundSlots" } as const;

const numberList = (values: readonly number[]): AttributeValue => ({
  L: values.map((value) => ({ N: String(value) })),
});

const numbersOf = (attribute: AttributeValue | undefined): number[] | undefined => {
  const list = attribute?.L;
  return list?.every((element) => element.N !== undefined)
    ? list.map((element) => Number(element.N))
    : undefined;
};

/** Reads an item's rings; `rings` is `undefined` unless both are lists of numbers. */
export const storedRingOf = (item: Record<string, AttributeValue> | undefined): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const all = numbersOf(item.slots);
  const background = numbersOf(item.backgroundSlots);
  return {
    kind: "present",
    rings: all && background ? { all, background } : undefined,
    token: { slots: item.slots, backgroundSlots: item.backgroundSlots },
  };
};

export class DynamoRingStore implements RingStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBClient; table: string }) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async take(key: BudgetKey, take: RingTake): Promise<RingTakeResult> {
    const { limit, backgroundCap } = take;
    const background = take.priority === "background";
    const condition = [
      `size(#slots) = :limit AND #slots[0] <= :cutoff AND #slots[${limit - 1}] <= :t`,
      ...(background ? [`size(#bg) = :cap AND #bg[0] <= :cutoff AND #bg[${backgroundCap - 1}] <= :t`] : []),
    ].join(" AND ");
    const update = background
      ? `REMOVE #slots[0], #bg[0] SET #slots[${limit}] = :t, #bg[${backgroundCap}] = :t, #expiresAt = :expiresAt`
      : `REMOVE #slots[0] SET #slots[${limit}] = :t, #expiresAt = :expiresAt`;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            "#slots": ATTRIBUTES.slots,
            "#expiresAt": "expiresAt",
            ...(background ? { "#bg": ATTRIBUTES.backgroundSlots } : {}),
          },
          ExpressionAttributeValues: {
            ":t": { N: String(take.t) },
            ":cutoff": { N: String(take.cutoff) },
            ":limit": { N: String(limit) },
            ":expiresAt": { N: String(take.expiresAt) },
            ...(background ? { ":cap": { N: String(backgroundCap) } } : {}),
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

  async replace(key: BudgetKey, rings: Rings, expected: StoredRing, expiresAt: number): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            ...this.#key(key),
            slots: numberList(rings.all),
            backgroundSlots: numberList(rings.background),
            expiresAt: { N: String(expiresAt) },
          },
          ...unchangedCondition(expected),
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

type Condition = Pick<
  PutItemCommandInput,
  "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
>;

/** The item is still what was read: absent, or with both ring attributes as they were (or still missing). */
const unchangedCondition = (expected: StoredRing): Condition => {
  if (expected.kind === "absent") {
    return { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" } };
  }
  const names: Record<string, string> = { "#pk": "pk" };
  const values: Record<string, AttributeValue> = {};
  const parts = ["attribute_exists(#pk)"];
  for (const [placeholder, attribute, seen] of [
    ["slots", ATTRIBUTES.slots, expected.token.slots],
    ["bg", ATTRIBUTES.backgroundSlots, expected.token.backgroundSlots],
  ] as const) {
    names[`#${placeholder}`] = attribute;
    if (seen === undefined) {
      parts.push(`attribute_not_exists(#${placeholder})`);
    } else {
      parts.push(`#${placeholder} = :${placeholder}`);
      values[`:${placeholder}`] = seen as AttributeValue;
    }
  }
  return {
    ConditionExpression: parts.join(" AND "),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
};

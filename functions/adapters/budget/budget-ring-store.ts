/**
 * Where the shared budget's rings live (ADR 0008): one small item per upstream, client and
 * ring in the idempotency table (`pk = BUDGET#<upstream>#<client>#<background|interactive>`,
 * `sk = RING`), attributes `slots` and `bucket` (the ring's size: S slots in buckets of G),
 * `bucketTimes` (at most 72 times, oldest first), `headLeft`, `tailCount`, `newest`
 * (budget-ring.ts says what they mean), on the background ring `backgroundTookAt` (written
 * by every background take) and `backgroundWaitsUntil` (written by background work that
 * waits for a slot), and `expiresAt` (TTL: a ring idle for a day is deleted, and a missing
 * item is an empty ring). An item stays under 1 KB whatever the limit: one write unit a take.
 *
 * A take is one UpdateItem in the form the ring's counts call for (ring-take-request.ts has
 * the expressions): its condition is the ring's rule for that form (`slots = S AND bucket = G
 * AND newest <= t`, the reused slot at or before `t − window`, the counts the form expects)
 * and, for interactive work borrowing a background slot, that background work wants none
 * (`backgroundWaitsUntil` missing or before `t`, `backgroundTookAt` missing or before `t −
 * BACKGROUND_ACTIVE_MS`). A step returns the counts it left (`UPDATED_NEW`), so the one that
 * crossed a bucket's edge knows to repair it; a refusal returns the item as it is
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the caller learns in the same round
 * trip when the next slot frees, that its form was not the one the counts call for (another
 * take came first), or that the item is missing or damaged.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { conditionFailedItem, storeUnavailable } from "#adapters/dynamo/dynamo-errors.ts";
import { budgetKeyOf } from "#adapters/dynamo/table-definitions.ts";
import type { RingName, RingRepair, RingSize, RingState } from "./budget-ring.ts";
import { type RingTake, repairRequestOf, takeRequestOf } from "./ring-take-request.ts";
import { type StoredRing, storedRingOf, TOKEN_ATTRIBUTES } from "./stored-ring.ts";

export interface RingKey {
  /** An upstream of the registry. */
  upstream: string;
  client: string;
  ring: RingName;
}

export type { RingTake } from "./ring-take-request.ts";

/** One ring's identity as a map key of this container. */
export const ringKeyText = (key: RingKey): string => `${key.upstream}\u0000${key.client}\u0000${key.ring}`;

/**
 * Taken (a step also says where it left the counts: the one that crossed a bucket's edge
 * repairs the ring), or refused with the item as it is.
 */
export type RingTakeResult =
  | { taken: true; counts?: { headLeft: number; tailCount: number } }
  | { taken: false; current: StoredRing };

export type RingRepairResult = { repaired: true } | { repaired: false; current: StoredRing };

export interface RingStore {
  /** Takes a slot when the ring allows it, atomically; otherwise returns the item as it is. */
  take(key: RingKey, take: RingTake): Promise<RingTakeResult>;
  /** Brings a ring past a bucket's edge back within it, if it still is as counted; otherwise returns the item as it is. */
  repair(key: RingKey, size: RingSize, repair: RingRepair): Promise<RingRepairResult>;
  /** Writes a whole ring, provided the item is still as `expected`; `false` when it changed meanwhile. */
  replace(key: RingKey, ring: RingState, expected: StoredRing, expiresAt: number): Promise<boolean>;
  /**
   * Says on the background ring that background work waits for a slot until `until` (epoch
   * ms), unless it already says so for as long; meanwhile interactive work borrows none.
   */
  markBackgroundWaiting(key: RingKey, until: number): Promise<void>;
  /** The item as it is now (a strongly consistent read), for tools and tests. */
  read(key: RingKey): Promise<StoredRing>;
}

const number = (value: number): AttributeValue => ({ N: String(value) });

export class DynamoRingStore implements RingStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBClient; table: string }) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async take(key: RingKey, take: RingTake): Promise<RingTakeResult> {
    try {
      const output = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          ...takeRequestOf(take),
          // Only a step needs to know where it left the counts; the other forms answer nothing.
          ReturnValues: take.form.kind === "step" ? "UPDATED_NEW" : "NONE",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const headLeft = output.Attributes?.headLeft?.N;
      const tailCount = output.Attributes?.tailCount?.N;
      return headLeft === undefined || tailCount === undefined
        ? { taken: true }
        : { taken: true, counts: { headLeft: Number(headLeft), tailCount: Number(tailCount) } };
    } catch (error) {
      const refused = conditionFailedItem(error);
      if (refused === undefined) throw storeUnavailable("upstream-budget", "UpdateItem", error);
      return { taken: false, current: storedRingOf(refused.item) };
    }
  }

  async repair(key: RingKey, size: RingSize, repair: RingRepair): Promise<RingRepairResult> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          ...repairRequestOf(size, repair),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { repaired: true };
    } catch (error) {
      const refused = conditionFailedItem(error);
      if (refused === undefined) throw storeUnavailable("upstream-budget", "UpdateItem", error);
      return { repaired: false, current: storedRingOf(refused.item) };
    }
  }

  async replace(key: RingKey, ring: RingState, expected: StoredRing, expiresAt: number): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            ...this.#key(key),
            slots: number(ring.slots),
            bucket: number(ring.bucket),
            bucketTimes: { L: ring.bucketTimes.map(number) },
            headLeft: number(ring.headLeft),
            tailCount: number(ring.tailCount),
            newest: number(ring.newest),
            ...(ring.backgroundTookAt === undefined
              ? {}
              : { backgroundTookAt: number(ring.backgroundTookAt) }),
            ...(ring.backgroundWaitsUntil === undefined
              ? {}
              : { backgroundWaitsUntil: number(ring.backgroundWaitsUntil) }),
            expiresAt: number(expiresAt),
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

  async markBackgroundWaiting(key: RingKey, until: number): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          UpdateExpression: "SET #wait = :until",
          ConditionExpression: "attribute_exists(#pk) AND (attribute_not_exists(#wait) OR #wait < :until)",
          ExpressionAttributeNames: { "#pk": "pk", "#wait": "backgroundWaitsUntil" },
          ExpressionAttributeValues: { ":until": number(until) },
        }),
      );
    } catch (error) {
      // Already marked for as long (or the item is gone: the next take recreates it).
      if (conditionFailedItem(error) !== undefined) return;
      throw storeUnavailable("upstream-budget", "UpdateItem", error);
    }
  }

  async read(key: RingKey): Promise<StoredRing> {
    try {
      const output = await this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: this.#key(key), ConsistentRead: true }),
      );
      return storedRingOf(output.Item);
    } catch (error) {
      throw storeUnavailable("upstream-budget", "GetItem", error);
    }
  }

  #key(key: RingKey): Record<string, AttributeValue> {
    const { pk, sk } = budgetKeyOf(key.upstream, key.client, key.ring);
    return { pk: { S: pk }, sk: { S: sk } };
  }
}

type Condition = Pick<
  PutItemCommandInput,
  "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
>;

/** The item is still what was read: absent, or with the attributes every take changes as they were (or still missing). */
const unchangedCondition = (expected: StoredRing): Condition => {
  if (expected.kind === "absent") {
    return { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" } };
  }
  const names: Record<string, string> = { "#pk": "pk" };
  const values: Record<string, AttributeValue> = {};
  const parts = ["attribute_exists(#pk)"];
  for (const attribute of TOKEN_ATTRIBUTES) {
    names[`#${attribute}`] = attribute;
    const seen = expected.token[attribute];
    if (seen === undefined) {
      parts.push(`attribute_not_exists(#${attribute})`);
    } else {
      parts.push(`#${attribute} = :${attribute}`);
      values[`:${attribute}`] = seen as AttributeValue;
    }
  }
  return {
    ConditionExpression: parts.join(" AND "),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
};

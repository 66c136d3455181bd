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

export interface RingKey {
  /** An upstream of the registry. */
  upstream: string;
  client: string;
  ring: RingName;
}

export type { RingTake } from "./ring-take-request.ts";

/** One ring's identity as a map key of this container. */
export const ringKeyText = (key: RingKey): string => `${key.upstream}\u0000${key.client}\u0000${key.ring}`;

/** The item as read back: absent, or present with its ring (`undefined` when its attributes are not the numbers a ring holds). */
export type StoredRing =
  | { kind: "absent" }
  | {
      kind: "present";
      ring: RingState | undefined;
      /** What a replacement must still find there (the stored attributes, as stored). */
      token: Record<(typeof TOKEN_ATTRIBUTES)[number], unknown>;
    };

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

/** The attributes every take changes one of: a replacement is conditional on them being as read. */
export const TOKEN_ATTRIBUTES = ["bucketTimes", "headLeft", "tailCount", "newest"] as const;

const number = (value: number): AttributeValue => ({ N: String(value) });

const numberOf = (attribute: AttributeValue | undefined): number | undefined =>
  attribute?.N === undefined ? undefined : Number(attribute.N);

const numbersOf = (attribute: AttributeValue | undefined): number[] | undefined => {
  const list = attribute?.L;
  return list?.every((element) => element.N !== undefined)
    ? list.map((element) => Number(element.N))
    : undefined;
};

/** The attributes of a ring item that a take reads. */
type RingAttribute =
  | "slots"
  | "bucket"
  | "headLeft"
  | "tailCount"
  | "newest"
  | "bucketTimes"
  | "backgroundTookAt"
  | "backgroundWaitsUntil";

/** How one store reads an attribute it holds (an AttributeValue here, a plain value in the tests' store). */
export interface AttributeReader<A> {
  number(attribute: A | undefined): number | undefined;
  numbers(attribute: A | undefined): number[] | undefined;
  /** The attribute as a replacement must still find it. */
  token(attribute: A | undefined): unknown;
}

/**
 * An item's ring, read attribute by attribute; `ring` is `undefined` unless each attribute is
 * a number (a list of them for `bucketTimes`). One reading for every store, so the tests' store
 * (test/support/memory-ring-store.ts) decodes what it holds as this one does.
 */
export const storedRingFrom = <A>(
  item: Partial<Record<RingAttribute, A>> | undefined,
  read: AttributeReader<A>,
): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const [slots, bucket, headLeft, tailCount, newest] = [
    item.slots,
    item.bucket,
    item.headLeft,
    item.tailCount,
    item.newest,
  ].map((attribute) => read.number(attribute));
  const bucketTimes = read.numbers(item.bucketTimes);
  const tookAt = read.number(item.backgroundTookAt);
  const waitsUntil = read.number(item.backgroundWaitsUntil);
  const complete =
    slots !== undefined &&
    bucket !== undefined &&
    headLeft !== undefined &&
    tailCount !== undefined &&
    newest !== undefined &&
    bucketTimes !== undefined;
  return {
    kind: "present",
    ring: complete
      ? {
          slots,
          bucket,
          headLeft,
          tailCount,
          newest,
          bucketTimes,
          ...(tookAt === undefined ? {} : { backgroundTookAt: tookAt }),
          ...(waitsUntil === undefined ? {} : { backgroundWaitsUntil: waitsUntil }),
        }
      : undefined,
    token: Object.fromEntries(TOKEN_ATTRIBUTES.map((name) => [name, read.token(item[name])])) as Record<
      (typeof TOKEN_ATTRIBUTES)[number],
      unknown
    >,
  };
};

const ATTRIBUTE_VALUES: AttributeReader<AttributeValue> = {
  number: numberOf,
  numbers: numbersOf,
  token: (attribute) => attribute,
};

/** Reads a DynamoDB item's ring. */
export const storedRingOf = (item: Record<string, AttributeValue> | undefined): StoredRing =>
  storedRingFrom(item, ATTRIBUTE_VALUES);

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

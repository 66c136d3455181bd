/**
 * Where the shared budget's rings live: one item per upstream and client in the
 * idempotency table (`pk = BUDGET#<upstream>#<client>`, `sk = RING`), attributes `slots`
 * (the last N send times, any priority, oldest first), `backgroundSlots` (the last B
 * background send times), `interactiveSlots` (the last N − B interactive send times),
 * `backgroundWaitsUntil` (epoch ms; written by background work that waits for a slot),
 * `backgroundTookAt` (epoch ms; written by every background take) and `expiresAt` (TTL: rings idle for a day are deleted, and a missing item is empty rings).
 *
 * A take is one UpdateItem whose condition is the rings' own rule (budget-ring.ts): always
 * `size(slots) = N AND slots[0] <= t − window AND slots[N−1] <= t`; for background work also
 * `size(backgroundSlots) = B AND backgroundSlots[0] <= t − window AND backgroundSlots[B−1] <= t`;
 * for interactive work also `size(interactiveSlots) = N − B AND (interactiveSlots[0] <= t −
 * window OR background work wants no slots)`, i.e. `backgroundWaitsUntil` is missing or before
 * `t` and `backgroundTookAt` missing or before `t − BACKGROUND_ACTIVE_MS`. The update
 * drops the oldest time of each ring it concerns and appends `t` (`REMOVE slots[0] SET
 * slots[N] = :t`: both act on the list as it was, so the result is the N newest). A refusal
 * returns the item as it is (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the caller
 * learns in the same round trip when the next slot frees, or that the item is missing or
 * damaged.
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
import type { UpstreamPriority } from "#core/ports.ts";
import type { Rings } from "./budget-ring.ts";

export interface BudgetKey {
  /** An upstream of the registry. */
  upstream: string;
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
  /** N − B (0, a share of 1: nothing is reserved, interactive work decides on `slots` alone). */
  interactiveCap: number;
  /** `t − BACKGROUND_ACTIVE_MS`: a background take since then means background work still wants slots. */
  backgroundActiveSince: number;
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
  /**
   * Says that background work waits for a slot until `until` (epoch ms), unless the item
   * already says so for as long; meanwhile interactive work keeps to its own N − B.
   */
  markBackgroundWaiting(key: BudgetKey, until: number): Promise<void>;
  /** The item as it is now (a strongly consistent read), for tools and tests. */
  read(key: BudgetKey): Promise<StoredRing>;
}

const ATTRIBUTES = {
  slots: "slots",
  backgroundSlots: "backgroundSlots",
  interactiveSlots: "interactiveSlots",
  backgroundWaitsUntil: "backgroundWaitsUntil",
  backgroundTookAt: "backgroundTookAt",
} as const;

const numberList = (values: readonly number[]): AttributeValue => ({
  L: values.map((value) => ({ N: String(value) })),
});

const numbersOf = (attribute: AttributeValue | undefined): number[] | undefined => {
  const list = attribute?.L;
  return list?.every((element) => element.N !== undefined)
    ? list.map((element) => Number(element.N))
    : undefined;
};

/**
 * Reads an item's rings; `rings` is `undefined` unless each is a list of numbers (a missing
 * interactive ring, from before it existed, reads as empty: a ring of another length).
 */
export const storedRingOf = (item: Record<string, AttributeValue> | undefined): StoredRing => {
  if (item === undefined) return { kind: "absent" };
  const all = numbersOf(item.slots);
  const background = numbersOf(item.backgroundSlots);
  const interactive = item.interactiveSlots === undefined ? [] : numbersOf(item.interactiveSlots);
  const waitsUntil = item.backgroundWaitsUntil?.N;
  const tookAt = item.backgroundTookAt?.N;
  return {
    kind: "present",
    rings:
      all && background && interactive
        ? {
            all,
            background,
            interactive,
            ...(waitsUntil === undefined ? {} : { backgroundWaitsUntil: Number(waitsUntil) }),
            ...(tookAt === undefined ? {} : { backgroundTookAt: Number(tookAt) }),
          }
        : undefined,
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
    const { limit, backgroundCap, interactiveCap } = take;
    const background = take.priority === "background";
    const ownRing = !background && interactiveCap > 0;
    const noBackgroundWants =
      "(attribute_not_exists(#wait) OR #wait < :t) AND (attribute_not_exists(#took) OR #took < :active)";
    const condition = [
      `size(#slots) = :limit AND #slots[0] <= :cutoff AND #slots[${limit - 1}] <= :t`,
      ...(background ? [`size(#bg) = :cap AND #bg[0] <= :cutoff AND #bg[${backgroundCap - 1}] <= :t`] : []),
      ...(ownRing ? [`size(#ia) = :icap AND (#ia[0] <= :cutoff OR (${noBackgroundWants}))`] : []),
    ].join(" AND ");
    const [removed, appended] = background
      ? [
          ["#slots[0]", "#bg[0]"],
          [`#slots[${limit}] = :t`, `#bg[${backgroundCap}] = :t`, "#took = :t"],
        ]
      : ownRing
        ? [
            ["#slots[0]", "#ia[0]"],
            [`#slots[${limit}] = :t`, `#ia[${interactiveCap}] = :t`],
          ]
        : [["#slots[0]"], [`#slots[${limit}] = :t`]];
    const update = `REMOVE ${removed.join(", ")} SET ${[...appended, "#expiresAt = :expiresAt"].join(", ")}`;
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
            ...(background
              ? { "#bg": ATTRIBUTES.backgroundSlots, "#took": ATTRIBUTES.backgroundTookAt }
              : {}),
            ...(ownRing
              ? {
                  "#ia": ATTRIBUTES.interactiveSlots,
                  "#wait": ATTRIBUTES.backgroundWaitsUntil,
                  "#took": ATTRIBUTES.backgroundTookAt,
                }
              : {}),
          },
          ExpressionAttributeValues: {
            ":t": { N: String(take.t) },
            ":cutoff": { N: String(take.cutoff) },
            ":limit": { N: String(limit) },
            ":expiresAt": { N: String(take.expiresAt) },
            ...(background ? { ":cap": { N: String(backgroundCap) } } : {}),
            ...(ownRing
              ? {
                  ":icap": { N: String(interactiveCap) },
                  ":active": { N: String(take.backgroundActiveSince) },
                }
              : {}),
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
            interactiveSlots: numberList(rings.interactive),
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

  async markBackgroundWaiting(key: BudgetKey, until: number): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: this.#key(key),
          UpdateExpression: "SET #wait = :until",
          ConditionExpression: "attribute_exists(#pk) AND (attribute_not_exists(#wait) OR #wait < :until)",
          ExpressionAttributeNames: { "#pk": "pk", "#wait": ATTRIBUTES.backgroundWaitsUntil },
          ExpressionAttributeValues: { ":until": { N: String(until) } },
        }),
      );
    } catch (error) {
      // Already marked for as long (or the item is gone: the next take recreates it).
      if (conditionFailedItem(error) !== undefined) return;
      throw storeUnavailable("upstream-budget", "UpdateItem", error);
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

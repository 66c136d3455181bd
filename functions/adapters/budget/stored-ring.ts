/**
 * A ring item as read back (budget-ring-store.ts says what its attributes hold): absent, or
 * present with its ring when every attribute is the number (or list of numbers) a ring holds,
 * and the attributes a replacement must still find. One reading for every store, so the tests'
 * store (test/support/memory-ring-store.ts) decodes what it holds as DynamoDB's does.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { RingState } from "./budget-ring.ts";

/** The item as read back: absent, or present with its ring (`undefined` when its attributes are not the numbers a ring holds). */
export type StoredRing =
  | { kind: "absent" }
  | {
      kind: "present";
      ring: RingState | undefined;
      /** What a replacement must still find there (the stored attributes, as stored). */
      token: Record<(typeof TOKEN_ATTRIBUTES)[number], unknown>;
    };

/** The attributes every take changes one of: a replacement is conditional on them being as read. */
export const TOKEN_ATTRIBUTES = ["bucketTimes", "headLeft", "tailCount", "newest"] as const;

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

/**
 * One page of a DynamoDB Query behind an opaque cursor.
 *
 * The cursor is base64url JSON of the last returned item's key. Pages are read one item
 * past the limit, so a cursor is only given when another item really exists: the last
 * page never comes with a cursor leading to an empty page.
 *
 * A cursor comes back from the caller, so it is checked before it becomes an
 * `ExclusiveStartKey`: exactly the listing's key attributes, each of the type its table
 * definition gives and within DynamoDB's size limits, and the partition the query reads.
 * Checked, not signed: the cursor holds only the key of an item the caller was shown, any
 * well-typed key in the partition is a fair place to resume, and signing would need a key
 * of the service's own (a secret to provision and rotate) to buy nothing more. Sort-key
 * conditions are not checked against the cursor; no listing a caller pages has one.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { ValidationError } from "#core/errors.ts";
import type { Page } from "#core/ports.ts";
import { isWellFormedText } from "../validation/safe-text.ts";
import { type StoreName, storeUnavailable } from "./dynamo-errors.ts";
import {
  auditTable,
  type FieldType,
  type IndexDefinition,
  idempotencyTable,
  type TableDefinition,
} from "./table-definitions.ts";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest<T> {
  client: DynamoDBClient;
  store: StoreName;
  /** A Query without `Limit` or `ExclusiveStartKey`. */
  query: QueryCommandInput;
  /** The key attributes of the table and index queried: what a cursor holds. */
  keyAttributes: readonly string[];
  /** The partition the query reads, e.g. `{ pk: "TARGET#intent#i1" }`: a cursor from another partition is refused. */
  partition: Readonly<Record<string, string>>;
  limit: number | undefined;
  cursor: string | undefined;
  map: (item: Record<string, AttributeValue>) => T;
  /**
   * Only the items it keeps are listed and counted against the limit; the others are read
   * past (a client's view of a trail other clients share). The cursor is the last kept
   * item's key, so the next page reads past the same ones again and skips them again.
   */
  keep?: (value: T) => boolean;
}

const pageSizeOf = (limit: number | undefined): number => {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError("limit", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return limit;
};

/** The longest cursor read: four keys at DynamoDB's own size limits fit, far longer ones are not ours. */
const MAX_CURSOR_LENGTH = 16_384;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A key attribute as DynamoDB checks it: its type, and the byte limit of its role in a key. */
interface KeyAttribute {
  type: "S" | "N";
  maxBytes: number;
}

/** DynamoDB's limits for a key's string values: 2,048 bytes for a partition key, 1,024 for a sort key. */
const PARTITION_KEY_BYTES = 2048;
const SORT_KEY_BYTES = 1024;

/**
 * Every key attribute of the service's tables and indexes, from their definitions
 * (table-definitions.ts): what a cursor of any listing may hold, checked as DynamoDB would
 * check its `ExclusiveStartKey`, so that no cursor reaches DynamoDB to be refused there
 * (a ValidationException would answer 503 and page on-call). An attribute that is a sort
 * key anywhere gets the sort key's tighter limit.
 */
const KEY_ATTRIBUTES: ReadonlyMap<string, KeyAttribute> = (() => {
  const attributes = new Map<string, KeyAttribute>();
  const add = (fields: Readonly<Record<string, FieldType>>, name: string, maxBytes: number) => {
    const field = fields[name];
    if (field !== "string" && field !== "number") throw new TypeError(`Key attribute ${name} is ${field}`);
    const type = field === "string" ? "S" : "N";
    const known = attributes.get(name);
    if (known !== undefined && known.type !== type)
      throw new TypeError(`Key attribute ${name} has two types`);
    attributes.set(name, { type, maxBytes: Math.min(maxBytes, known?.maxBytes ?? maxBytes) });
  };
  for (const table of [idempotencyTable, auditTable] as const satisfies readonly TableDefinition[]) {
    const indexes = [table.primaryIndex, ...Object.values(table.globalIndexes ?? {})];
    for (const index of indexes as IndexDefinition[]) {
      add(table.fields, index.hashKey, PARTITION_KEY_BYTES);
      if (index.rangeKey !== undefined) add(table.fields, index.rangeKey, SORT_KEY_BYTES);
    }
  }
  return attributes;
})();

const keySchemaOf = (keyAttributes: readonly string[]): Map<string, KeyAttribute> =>
  new Map(
    keyAttributes.map((name) => {
      const attribute = KEY_ATTRIBUTES.get(name);
      // The listing names an attribute no table keys on: a bug in the caller, not in the cursor.
      if (attribute === undefined) throw new TypeError(`${name} is not a key attribute of any table`);
      return [name, attribute];
    }),
  );

/**
 * A DynamoDB number: at most 38 significant digits, its magnitude within 1E-130 and
 * 9.99…E+125 (or zero), written in plain decimal (the form DynamoDB returns).
 */
const isDynamoNumber = (text: string): boolean => {
  const match = /^-?(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return false;
  const whole = (match[1] ?? "").replace(/^0+/, "");
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return true;
  const leadingFractionZeros = whole === "" ? fraction.length - fraction.replace(/^0+/, "").length : 0;
  return digits.length <= 38 && whole.length <= 126 && leadingFractionZeros < 130;
};

/** The attribute value a cursor's entry stands for, or why DynamoDB would refuse it. */
const checkKeyValue = (value: unknown, attribute: KeyAttribute): AttributeValue | string => {
  if (attribute.type === "N") {
    const isNumberValue =
      typeof value === "object" &&
      value !== null &&
      Object.keys(value).length === 1 &&
      typeof (value as { n?: unknown }).n === "string";
    if (!isNumberValue) return "must be a number";
    const n = (value as { n: string }).n;
    return isDynamoNumber(n) ? { N: n } : "is not a DynamoDB number";
  }
  if (typeof value !== "string") return "must be a string";
  if (value === "") return "must not be empty";
  if (!isWellFormedText(value)) return "is not Unicode text";
  if (Buffer.byteLength(value, "utf8") > attribute.maxBytes) return `is above ${attribute.maxBytes} bytes`;
  return { S: value };
};

/** A key attribute in a cursor: a string as itself, a number as `{ n: "<digits>" }`. */
type CursorValue = string | { n: string };

const encodeCursor = (item: Record<string, AttributeValue>, keyAttributes: readonly string[]): string => {
  const key: Record<string, CursorValue> = {};
  for (const name of keyAttributes) {
    const value = item[name];
    const encoded = value?.S ?? (value?.N === undefined ? undefined : { n: value.N });
    // Every key attribute of these tables is a string or a number; a missing one is a bug, not data.
    if (encoded === undefined) throw new TypeError(`Item has no string or number key attribute ${name}`);
    key[name] = encoded;
  }
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
};

const decodeCursor = (
  cursor: string,
  keyAttributes: readonly string[],
  partition: Readonly<Record<string, string>>,
): Record<string, AttributeValue> => {
  const schema = keySchemaOf(keyAttributes);
  const invalid = (why: string, cause?: unknown) =>
    new ValidationError("cursor", `cursor is not one this listing returned (${why})`, { cause });
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalid("not base64url");
  let key: unknown;
  try {
    key = JSON.parse(STRICT_UTF8.decode(Buffer.from(cursor, "base64url")));
  } catch (error) {
    throw invalid("not JSON", error);
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw invalid("not a key");
  const entries = Object.entries(key);
  if (entries.length !== keyAttributes.length) throw invalid("not this listing's key attributes");
  const startKey: Record<string, AttributeValue> = {};
  for (const [name, value] of entries) {
    const attribute = schema.get(name);
    if (attribute === undefined) throw invalid("not this listing's key attributes");
    const checked = checkKeyValue(value, attribute);
    if (typeof checked === "string") throw invalid(`${name} ${checked}`);
    const expected = partition[name];
    if (expected !== undefined && checked.S !== expected) throw invalid(`another ${name}`);
    startKey[name] = checked;
  }
  return startKey;
};

/**
 * Reads one page.
 *
 * @throws ValidationError for a bad `limit` or a cursor this listing did not return
 * @throws StoreUnavailableError when DynamoDB fails
 */
export const queryPage = async <T>(request: PageRequest<T>): Promise<Page<T>> => {
  const size = pageSizeOf(request.limit);
  let startKey =
    request.cursor === undefined
      ? undefined
      : decodeCursor(request.cursor, request.keyAttributes, request.partition);
  const keep = request.keep ?? (() => true);
  const items: { item: Record<string, AttributeValue>; value: T }[] = [];
  // A Query page also ends at 1 MB (and `keep` may drop items), so one call may return fewer
  // items than asked for: read on until one past the limit is kept or the partition ends.
  do {
    let output: QueryCommandOutput;
    try {
      output = await request.client.send(
        new QueryCommand({ ...request.query, Limit: size + 1 - items.length, ExclusiveStartKey: startKey }),
      );
    } catch (error) {
      throw storeUnavailable(request.store, "Query", error);
    }
    for (const item of output.Items ?? []) {
      const value = request.map(item);
      if (keep(value)) items.push({ item, value });
    }
    startKey = output.LastEvaluatedKey;
  } while (items.length <= size && startKey !== undefined);

  const pageItems = items.slice(0, size);
  const last = pageItems.at(-1);
  const page: Page<T> = { items: pageItems.map(({ value }) => value) };
  if (items.length > size && last !== undefined) page.cursor = encodeCursor(last.item, request.keyAttributes);
  return page;
};

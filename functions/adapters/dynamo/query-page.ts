/**
 * One page of a DynamoDB Query behind an opaque cursor.
 *
 * The cursor is base64url JSON of the last returned item's key. Pages are read one item
 * past the limit, so a cursor is only given when another item really exists: the last
 * page never comes with a cursor leading to an empty page.
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
import { type StoreName, storeUnavailable } from "./dynamo-errors.ts";

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
}

const pageSizeOf = (limit: number | undefined): number => {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError("limit", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return limit;
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

const isNumberValue = (value: unknown): value is { n: string } =>
  typeof value === "object" &&
  value !== null &&
  Object.keys(value).length === 1 &&
  typeof (value as { n?: unknown }).n === "string" &&
  /^-?\d+(\.\d+)?$/.test((value as { n: string }).n);

const decodeCursor = (
  cursor: string,
  keyAttributes: readonly string[],
  partition: Readonly<Record<string, string>>,
): Record<string, AttributeValue> => {
  const invalid = () => new ValidationError("cursor", "cursor is not one this listing returned");
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new ValidationError("cursor", "cursor is not one this listing returned", { cause: error });
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key);
  if (entries.length !== keyAttributes.length) throw invalid();
  const startKey: Record<string, AttributeValue> = {};
  for (const [name, value] of entries) {
    if (!keyAttributes.includes(name)) throw invalid();
    if (isNumberValue(value)) {
      if (partition[name] !== undefined) throw invalid();
      startKey[name] = { N: value.n };
      continue;
    }
    if (typeof value !== "string") throw invalid();
    const expected = partition[name];
    if (expected !== undefined && expected !== value) throw invalid();
    startKey[name] = { S: value };
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
  const items: Record<string, AttributeValue>[] = [];
  // A Query page also ends at 1 MB, so one call may return fewer items than asked for.
  do {
    let output: QueryCommandOutput;
    try {
      output = await request.client.send(
        new QueryCommand({ ...request.query, Limit: size + 1 - items.length, ExclusiveStartKey: startKey }),
      );
    } catch (error) {
      throw storeUnavailable(request.store, "Query", error);
    }
    items.push(...(output.Items ?? []));
    startKey = output.LastEvaluatedKey;
  } while (items.length <= size && startKey !== undefined);

  const pageItems = items.slice(0, size);
  const last = pageItems.at(-1);
  const page: Page<T> = { items: pageItems.map(request.map) };
  if (items.length > size && last !== undefined) page.cursor = encodeCursor(last, request.keyAttributes);
  return page;
};

/**
 * Stand-in for `@aws-sdk/util-dynamodb`, which Powertools' DynamoDB persistence layer
 * imports but this project does not install (it comes with the optional peer
 * `@aws-sdk/lib-dynamodb`). Only `marshall`/`unmarshall` are provided: pure conversions
 * between JS values and DynamoDB attribute values, which change no request a client
 * sends. The bench resolves to this file only when the real package is missing.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const toAttribute = (value: unknown): AttributeValue | undefined => {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number" || typeof value === "bigint") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map((item) => toAttribute(item) ?? { NULL: true }) };
  if (typeof value === "object") return { M: marshall(value as Record<string, unknown>) };
  throw new TypeError(`Cannot marshall a ${typeof value}`);
};

const fromAttribute = (attribute: AttributeValue): unknown => {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return unmarshall(attribute.M);
  if (attribute.SS !== undefined) return new Set(attribute.SS);
  if (attribute.NS !== undefined) return new Set(attribute.NS.map(Number));
  throw new TypeError(`Cannot unmarshall ${Object.keys(attribute).join(",")}`);
};

/** Undefined members are left out, like `marshall(value, { removeUndefinedValues: true })`. */
export const marshall = (value: Record<string, unknown>): Record<string, AttributeValue> => {
  const item: Record<string, AttributeValue> = {};
  for (const [key, member] of Object.entries(value)) {
    const attribute = toAttribute(member);
    if (attribute !== undefined) item[key] = attribute;
  }
  return item;
};

export const unmarshall = (item: Record<string, AttributeValue>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).map(([key, attribute]) => [key, fromAttribute(attribute)]));

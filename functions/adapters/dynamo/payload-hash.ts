import { createHash } from "node:crypto";

const sortKeys = (_key: string, value: unknown): unknown =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      )
    : value;

/**
 * JSON with every object's keys sorted, so two payloads that differ only in key order
 * serialise identically. `undefined` members are dropped, as `JSON.stringify` does.
 */
export const canonicalJson = (value: unknown): string => JSON.stringify(value, sortKeys) ?? "undefined";

/** Lowercase hex SHA-256 of {@link canonicalJson}: what an idempotency key's payload is compared by. */
export const hashPayload = (payload: unknown): string =>
  createHash("sha256").update(canonicalJson(payload)).digest("hex");

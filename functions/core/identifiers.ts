/**
 * The service's identifiers in one place: which ids it accepts (so nothing that could change a
 * URL's or a key's meaning reaches an upstream path or a DynamoDB key) and the scope keys under
 * which an attempt is made once (docs/cancel-semantics.md, "Idempotency").
 *
 * Id rules. The seeds never define their id formats; their examples are `intent_67890` and
 * UUIDs. Intent ids: 1–128 ASCII letters, digits, `_` and `-`, starting with a letter or digit
 * (every documented example fits, and `/`, `..`, `?`, `#`, `%` and spaces never reach the path,
 * so the path that is signed is the path that is sent). Order ids are this service's own: also
 * `.` and `:`. Charge and wallet ids: 8-4-4-4-12 hex digits, the version not checked (A55 does
 * not document one).
 *
 * Scope keys. One per kind of caller, so two callers never share a key by accident: an HTTP
 * client's key is scoped to the client and the route; a bus request to its producer (the
 * event's `source`) and its key (or, without one, the event); the sweep to the intent; a
 * request without a key to a fresh id.
 */

export const MAX_ID_LENGTH = 128;

export const INTENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isValidIntentId = (id: unknown): id is string =>
  typeof id === "string" && INTENT_ID_PATTERN.test(id);
export const isValidOrderId = (id: string): boolean =>
  id.length <= MAX_ID_LENGTH && ORDER_ID_PATTERN.test(id);
export const isValidUuid = (id: unknown): id is string => typeof id === "string" && UUID_PATTERN.test(id);

/** The scope keys an attempt is locked and stored under (the idempotency record's key). */
export const scopeKeys = {
  /** An HTTP client's `Idempotency-Key`, on one route. */
  http: (client: string, route: string, key: string): string => `http:${client}:${route}:${key}`,
  /**
   * A bus request: its producer and its idempotency key (or the event's id when it has none),
   * so two producers using the same key never meet. The source is JSON-quoted, so a `:` in it
   * cannot make two pairs read alike; the bus door caps it at 256 characters.
   */
  bus: (source: string, keyOrEventId: string): string => `bus:${JSON.stringify(source)}:${keyOrEventId}`,
  /** The rejection of a bus message that cannot be run (by event id, or SQS message id). */
  busRejected: (eventOrMessageId: string): string => `bus-rejected:${eventOrMessageId}`,
  /** The expiry sweep's cancel of one intent: once per intent, whichever run finds it. */
  sweep: (intentId: string): string => `sweep:${intentId}`,
  /** One item of a bulk job (its key within the job): a redelivery or a resubmission never acts twice. */
  bulkItem: (jobId: string, itemKey: string): string => `bulk:${jobId}:${itemKey}`,
  /** A request without a key: a fresh scope, so it is never replayed. */
  once: (freshId: string): string => `once:${freshId}`,
} as const;

/** The name the A55 idempotency key of an order's charge is derived from: every attempt reuses it. */
export const orderChargeKeyName = (scopeKey: string): string => `${scopeKey}#charge`;

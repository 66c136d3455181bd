/**
 * Errors that cross the core's boundary. Expected results (already cancelled, refund
 * required, not found…) are `CancelOutcome` values; these are for what went wrong.
 * Each keeps its `cause`. Mapping to HTTP lives in one place in the handlers.
 */
export class CancellationServiceError extends Error {
  override name = "CancellationServiceError";
}

/** Input that can never succeed as sent. `field` names what is wrong, never its secret value. */
export class ValidationError extends CancellationServiceError {
  override name = "ValidationError";
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.field = field;
  }
}

/**
 * The upstreams the service calls, by the one name each goes by. Everything else an
 * upstream is known by (its secret, its variables, its budget, how its errors read) is
 * derived from this name in the upstream registry (functions/adapters/upstreams/).
 */
export type UpstreamName = "procure-core" | "a55";

/** What an upstream error says. `N` is an upstream of the registry; only tests name another. */
export interface UpstreamErrorInit<N extends string = UpstreamName> {
  upstream: N;
  retryable: boolean;
  message: string;
  httpStatus?: number | undefined;
  code?: string | number | undefined;
  upstreamMessage?: string | undefined;
  requestId?: string | undefined;
  attempts?: number | undefined;
}

/**
 * The upstream answered something outside its contract, or could not be reached within
 * the call's deadline and attempts. `retryable` says whether running the request again may help.
 */
export class UpstreamError<N extends string = UpstreamName> extends CancellationServiceError {
  override name = "UpstreamError";
  readonly upstream: N;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly code: string | number | undefined;
  readonly upstreamMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
  constructor(init: UpstreamErrorInit<N>, options?: ErrorOptions) {
    super(init.message, options);
    this.upstream = init.upstream;
    this.retryable = init.retryable;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.upstreamMessage = init.upstreamMessage;
    this.requestId = init.requestId;
    this.attempts = init.attempts;
  }
}

/**
 * Credentials were rejected even after one refresh. Not retried inside the call; at the
 * trigger it is an operational failure (retried later, alarmed), never a stored outcome.
 */
export class UpstreamAuthError<N extends string = UpstreamName> extends UpstreamError<N> {
  override name = "UpstreamAuthError";
}

/**
 * No request may be sent now: the upstream answered 429, or the shared upstream budget is
 * spent for this caller's priority. `retryAfterSeconds` is when trying again makes sense
 * (the upstream's own `Retry-After` when it sent one). An operational failure.
 */
export class UpstreamRateLimitedError<N extends string = UpstreamName> extends UpstreamError<N> {
  override name = "UpstreamRateLimitedError";
  readonly retryAfterSeconds: number;
  /** `upstream`: the upstream said 429; `budget`: this service's shared budget refused the attempt. */
  readonly source: "upstream" | "budget";
  constructor(
    init: Omit<UpstreamErrorInit<N>, "retryable"> & {
      /** Ignored: a rate limit is always retryable. Accepted so a failure's fields can be passed as they are. */
      retryable?: boolean;
      retryAfterSeconds: number;
      source: "upstream" | "budget";
    },
    options?: ErrorOptions,
  ) {
    super({ ...init, retryable: true, httpStatus: init.httpStatus ?? 429 }, options);
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.source = init.source;
  }
}

/**
 * A store the service cannot run safely without (DynamoDB) failed. The service fails
 * closed: no upstream call is made, and callers see 503.
 */
export class StoreUnavailableError extends CancellationServiceError {
  override name = "StoreUnavailableError";
  readonly store: string;
  constructor(store: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.store = store;
  }
}

/**
 * The store refused a request as invalid (DynamoDB's ValidationException: a key or an item
 * above its size limit, a value it cannot hold): sending it again can never succeed. Extends
 * `StoreUnavailableError` so that every path failing closed on a store failure does so here
 * too; a trigger that can tell it apart rejects the request for good instead of retrying it.
 */
export class StoreRefusedError extends StoreUnavailableError {
  override name = "StoreRefusedError";
}

/** Configuration or a secret is missing or malformed. Names the secret/variable and field, never a value. */
export class ConfigurationError extends CancellationServiceError {
  override name = "ConfigurationError";
}

/**
 * A day's report could not be read before the invocation's deadline: the day holds more
 * audit records than one request can read. Nothing is wrong with the data; an operator
 * must read it some other way (see docs/runbook.md, "Daily reconciliation").
 */
export class ReportDeadlineError extends CancellationServiceError {
  override name = "ReportDeadlineError";
  readonly day: string;
  readonly recordsRead: number;
  constructor(day: string, recordsRead: number, options?: ErrorOptions) {
    super(`The report of ${day} was not finished before the deadline (${recordsRead} records read)`, options);
    this.day = day;
    this.recordsRead = recordsRead;
  }
}

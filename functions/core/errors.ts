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
 * The upstream answered something outside its contract, or could not be reached within
 * the retry budget. `retryable` says whether running the request again may help.
 */
export class UpstreamError extends CancellationServiceError {
  override name = "UpstreamError";
  readonly upstream: "procure-core" | "a55";
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly code: string | number | undefined;
  readonly upstreamMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
  constructor(
    init: {
      upstream: "procure-core" | "a55";
      retryable: boolean;
      message: string;
      httpStatus?: number;
      code?: string | number;
      upstreamMessage?: string;
      requestId?: string;
      attempts?: number;
    },
    options?: ErrorOptions,
  ) {
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

/** Credentials were rejected even after one refresh. Never retried. */
export class UpstreamAuthError extends UpstreamError {
  override name = "UpstreamAuthError";
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

/** Configuration or a secret is missing or malformed. Names the secret/variable and field, never a value. */
export class ConfigurationError extends CancellationServiceError {
  override name = "ConfigurationError";
}

/**
 * Every way an HTTP request is refused before or around a cancel. One class with a
 * `kind`, so that `error-response.ts` is the single place that turns it (and any other
 * error) into a response, in the dialect of the route.
 */
export type ProblemKind =
  | "route-not-found"
  | "not-found"
  | "method-not-allowed"
  | "payload-too-large"
  | "unauthenticated"
  | "forbidden"
  | "validation"
  | "idempotency-in-progress"
  | "idempotency-mismatch"
  /** The request contradicts the resource's state (stopping a finished bulk job). */
  | "conflict";

export class HttpProblem extends Error {
  override name = "HttpProblem";
  readonly kind: ProblemKind;
  /**
   * For `unauthenticated`: which check failed (missing-header, stale-timestamp, bad-signature,
   * unknown-app, …). Logged, never answered: every authentication failure answers alike.
   */
  readonly reason: string | undefined;
  /** For `validation`: the offending field. */
  readonly field: string | undefined;
  readonly headers: Record<string, string>;
  /** For `validation` of many parts at once (a bulk submission's lines): each one's problem. */
  readonly issues: readonly unknown[] | undefined;
  /** What the log may say besides the message (e.g. the app id an unknown app gave); never answered. */
  readonly logDetails: Record<string, string>;

  constructor(
    kind: ProblemKind,
    message: string,
    details: {
      reason?: string;
      field?: string;
      headers?: Record<string, string>;
      issues?: readonly unknown[];
      logDetails?: Record<string, string>;
    } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.kind = kind;
    this.reason = details.reason;
    this.field = details.field;
    this.headers = details.headers ?? {};
    this.issues = details.issues;
    this.logDetails = details.logDetails ?? {};
  }
}

export const STATUS_OF: Record<ProblemKind, number> = {
  "route-not-found": 404,
  "not-found": 404,
  "method-not-allowed": 405,
  "payload-too-large": 413,
  unauthenticated: 401,
  forbidden: 403,
  validation: 400,
  "idempotency-in-progress": 409,
  "idempotency-mismatch": 409,
  conflict: 409,
};

/**
 * Errors of the secret providers. A malformed secret is configuration (it will not fix
 * itself); an unreachable Secrets Manager is transient and maps to 503 like any store the
 * service cannot run safely without.
 */
import { ConfigurationError, StoreUnavailableError } from "#core/errors.ts";
import type { FieldIssue } from "../validation/describe-issues.ts";

/**
 * The secret exists but its content does not fit its shape (not JSON, wrong fields).
 * The message names the secret and the fields, never a value; there is deliberately no
 * `cause`, because both `JSON.parse` errors and valibot issues quote the input.
 */
export class InvalidSecretError extends ConfigurationError {
  override name = "InvalidSecretError";
  readonly secret: string;
  readonly issues: readonly FieldIssue[];
  constructor(secret: string, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.secret = secret;
    this.issues = issues;
  }
}

/**
 * The secret could not be fetched now (network, throttling, Secrets Manager 5xx). Running
 * the request again later may succeed. Extends `StoreUnavailableError` so the one HTTP
 * error mapping answers 503 and no upstream call is made without credentials.
 */
export class SecretUnavailableError extends StoreUnavailableError {
  override name = "SecretUnavailableError";
  readonly secret: string;
  readonly retryable = true;
  constructor(secret: string, message: string, options?: ErrorOptions) {
    super("secrets-manager", message, options);
    this.secret = secret;
  }
}

/**
 * The shape of the `clients` secret, the fields every secret's shape is made of, and the
 * one function that checks a fetched secret against its shape (the JSON each holds:
 * docs/deploy.md, "Set and rotate the secrets"). Each upstream's secret has its shape in its
 * registry entry (`procure-core/procure-core-upstream.ts`, `a55/a55-upstream.ts`). Errors
 * name the secret and the field, never a value.
 *
 * Unknown extra keys are allowed and dropped (room for a `description` or a rotation note);
 * every required field must be present and non-empty.
 */
import * as v from "valibot";
import { isValidUuid } from "#core/identifiers.ts";
import { describeIssues, type FieldIssue, safeParseConfig } from "../validation/describe-issues.ts";
import { InvalidSecretError } from "./secret-errors.ts";

/** A required string: present and not empty. */
export const nonEmpty = () => v.pipe(v.string(), v.minLength(1, "must not be empty"));

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
};

/** An absolute http(s) URL. */
export const httpUrl = v.pipe(v.string(), v.check(isHttpUrl, "must be an absolute http(s) URL"));

/** The wildcard wallet scope: the token may act on every wallet. */
export const ANY_WALLET = "*";

// ---- clients -------------------------------------------------------------------------

const appSchema = v.object({
  // Two during rotation: the old one keeps working until every caller has the new one.
  secrets: v.pipe(
    v.array(nonEmpty()),
    v.minLength(1, "must hold 1 or 2 secrets"),
    v.maxLength(2, "must hold 1 or 2 secrets"),
  ),
});

const walletScope = v.pipe(
  v.string(),
  v.check(
    (wallet) => wallet === ANY_WALLET || isValidUuid(wallet),
    `must be a wallet UUID or "${ANY_WALLET}"`,
  ),
  v.toLowerCase(),
);

const tokenSchema = v.object({
  id: nonEmpty(),
  sha256: v.pipe(
    v.string(),
    v.regex(/^[0-9a-f]{64}$/i, "must be the 64 hex digits of the token's SHA-256"),
    v.toLowerCase(),
  ),
  wallets: v.pipe(
    v.array(walletScope),
    v.minLength(1, "must name at least one wallet"),
    v.check(
      (wallets) => !wallets.includes(ANY_WALLET) || wallets.length === 1,
      `"${ANY_WALLET}" must stand alone`,
    ),
  ),
});

const unique = <T>(values: readonly T[]): boolean => new Set(values).size === values.length;

/**
 * Inbound callers: HMAC apps by app id, and bearer tokens by SHA-256 (the tokens themselves
 * are never stored). `wallets` scopes a token to wallet UUIDs; `["*"]` grants every wallet
 * and is meant for the storefront, which cancels on behalf of any customer.
 */
export const clientsSecretSchema = v.object({
  apps: v.record(v.pipe(v.string(), v.minLength(1, "app ids must not be empty")), appSchema),
  tokens: v.pipe(
    v.array(tokenSchema),
    v.check((tokens) => unique(tokens.map((t) => t.id)), "token ids must be unique"),
    v.check((tokens) => unique(tokens.map((t) => t.sha256)), "token hashes must be unique"),
  ),
});
export type ClientsSecret = v.InferOutput<typeof clientsSecretSchema>;
export type ClientToken = ClientsSecret["tokens"][number];

/** Any schema a provider can check a secret with. */
export type SecretSchema<T> = v.GenericSchema<unknown, T>;

const renderIssue = (issue: FieldIssue): string =>
  issue.field === "" ? issue.message : `field "${issue.field}" ${issue.message}`;

/**
 * Checks a parsed secret against its schema.
 *
 * @param name - the secret's name, used in the error message
 * @throws InvalidSecretError (a `ConfigurationError`) naming every bad field, never a value
 */
export const parseSecret = <T>(name: string, schema: SecretSchema<T>, value: unknown): T => {
  const result = v.safeParse(schema, value, safeParseConfig);
  if (result.success) return result.output;
  const issues = describeIssues(result.issues);
  const message = `secret "${name}": ${issues.map(renderIssue).join("; ")}`;
  throw new InvalidSecretError(name, message, issues);
};

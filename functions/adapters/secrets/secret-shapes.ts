/**
 * The shape of the `clients` secret, the fields every secret's shape is made of, and the
 * one function that checks a fetched secret against its shape (the JSON each holds:
 * docs/deploy.md, "Set and rotate the secrets"). Each upstream's secret has its shape in its
 * registry entry (`procure-core/procure-core-upstream.ts`, `a55/a55-upstream.ts`). Errors
 * name the secret and the field, never a value.
 *
 * Unknown extra keys are allowed and dropped (room for a `description` or a rotation note),
 * except in a client's grant, where a misspelt field must not quietly grant nothing; every
 * required field must be present and non-empty. A client whose grant is malformed makes the
 * whole `clients` secret invalid: the error names the client (its app id, or its token's
 * index and id), and no client is served from a half-read secret.
 */
import * as v from "valibot";
import { ACCESS_LEVELS, ANY_WALLET, FULL_GRANT, type Grant, NO_GRANT } from "#core/grants.ts";
import { isValidUuid } from "#core/identifiers.ts";
import {
  describeIssues,
  type FieldIssue,
  safeIssueMessage,
  safeParseConfig,
} from "../validation/describe-issues.ts";
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

/** The wildcard wallet scope: the client may act on every wallet. */
export { ANY_WALLET };

// ---- clients -------------------------------------------------------------------------

/**
 * A client's id (an app id, a token id; one namespace: the same id is the same client).
 * Order ids and idempotency scopes are namespaced by it, so it holds no `:` (which names the
 * bus producers and schedules, core/ownership.ts) and no `#` (a key separator).
 */
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const clientId = v.pipe(
  v.string(),
  v.regex(CLIENT_ID, "must be 1-64 letters, digits and _ . - (starting with a letter or digit)"),
);

/** When a client stops being accepted: an ISO 8601 time with its offset, kept as epoch ms. */
const expiry = v.pipe(
  v.string(),
  v.isoTimestamp('must be an ISO 8601 time with its offset, e.g. "2027-01-31T00:00:00Z"'),
  v.transform((text) => Date.parse(text)),
);

const walletScope = v.pipe(
  v.string(),
  v.check(
    (wallet) => wallet === ANY_WALLET || isValidUuid(wallet),
    `must be a wallet UUID or "${ANY_WALLET}"`,
  ),
  v.toLowerCase(),
);

const walletList = v.pipe(
  v.array(walletScope),
  v.check(
    (wallets) => !wallets.includes(ANY_WALLET) || wallets.length === 1,
    `"${ANY_WALLET}" must stand alone`,
  ),
);

const GRANT_FIELDS = "intents, charges, orders, operator, bulk, wallets";
const access = v.picklist(ACCESS_LEVELS, 'must be "none", "read" or "write"');

/**
 * A grant (core/grants.ts): per kind of target none / read / write (write includes read),
 * operator reads, bulk work (reserved), and the wallets charges may be cancelled in. An
 * omitted field grants nothing; a field it does not know is refused (a misspelt `order`
 * must not quietly grant nothing).
 */
const grantObject = v.pipe(
  v.strictObject(
    {
      intents: v.optional(access, "none"),
      charges: v.optional(access, "none"),
      orders: v.optional(access, "none"),
      operator: v.optional(v.picklist(["none", "read"], 'must be "none" or "read"'), "none"),
      bulk: v.optional(v.picklist(["none", "read", "write"], 'must be "none", "read" or "write"'), "none"),
      wallets: v.optional(walletList, []),
    },
    (issue) =>
      issue.expected === "never"
        ? `is not a grant field (${GRANT_FIELDS})`
        : `must be "all" or a grant object (${GRANT_FIELDS})`,
  ),
  v.forward(
    v.check(
      (grant) => grant.charges !== "write" || grant.wallets.length > 0,
      'must name the wallets charges may be cancelled in (wallet UUIDs, or ["*"]) when charges is "write"',
    ),
    ["wallets"],
  ),
);

/** `"all"` (everything, as before grants: said explicitly, never a default) or a grant object. */
const grantsField = v.lazy((input) => (input === "all" ? v.literal("all") : grantObject));

/** What an object schema says of a missing `grants`: every client names its grant. */
const clientMessage = (issue: v.BaseIssue<unknown>): string =>
  issue.expected === '"grants"'
    ? 'is missing: every client names its grant ("all" for everything, as before grants)'
    : safeIssueMessage(issue);

const appSchema = v.pipe(
  v.object(
    {
      // Two during rotation: the old one keeps working until every caller has the new one.
      secrets: v.pipe(
        v.array(nonEmpty()),
        v.minLength(1, "must hold 1 or 2 secrets"),
        v.maxLength(2, "must hold 1 or 2 secrets"),
      ),
      grants: grantsField,
      expiresAt: v.optional(expiry),
    },
    clientMessage,
  ),
  v.transform(({ secrets, grants, expiresAt }) => ({
    secrets,
    grant: grants === "all" ? FULL_GRANT : (grants as Grant),
    ...(expiresAt !== undefined && { expiresAt }),
  })),
);

/**
 * A bearer token: its grant, or `"all"` with its own `wallets` (the token shape from before
 * grants, which could cancel charges in those wallets and nothing else).
 */
const tokenSchema = v.pipe(
  v.object(
    {
      id: clientId,
      sha256: v.pipe(
        v.string(),
        v.regex(/^[0-9a-f]{64}$/i, "must be the 64 hex digits of the token's SHA-256"),
        v.toLowerCase(),
      ),
      grants: grantsField,
      wallets: v.optional(v.pipe(walletList, v.minLength(1, "must name at least one wallet"))),
      expiresAt: v.optional(expiry),
    },
    clientMessage,
  ),
  v.forward(
    v.check(
      (token) => (token.grants === "all") === (token.wallets !== undefined),
      'belongs to "grants": "all" only (a token with a grant object names its wallets in it)',
    ),
    ["wallets"],
  ),
  v.transform(({ id, sha256, grants, wallets, expiresAt }) => ({
    id,
    sha256,
    grant:
      grants === "all"
        ? { ...NO_GRANT, charges: "write" as const, wallets: wallets ?? [] }
        : (grants as Grant),
    ...(expiresAt !== undefined && { expiresAt }),
  })),
);

const unique = <T>(values: readonly T[]): boolean => new Set(values).size === values.length;

/**
 * Inbound callers (docs/security.md): HMAC apps by app id, and bearer tokens by SHA-256 (the
 * tokens themselves are never stored), each with its grant and an optional expiry.
 */
export const clientsSecretSchema = v.object({
  apps: v.record(clientId, appSchema),
  tokens: v.pipe(
    v.array(tokenSchema),
    v.check((tokens) => unique(tokens.map((t) => t.id)), "token ids must be unique"),
    v.check((tokens) => unique(tokens.map((t) => t.sha256)), "token hashes must be unique"),
  ),
});
export type ClientsSecret = v.InferOutput<typeof clientsSecretSchema>;
export type ClientApp = ClientsSecret["apps"][string];
export type ClientToken = ClientsSecret["tokens"][number];

/** Any schema a provider can check a secret with. */
export type SecretSchema<T> = v.GenericSchema<unknown, T>;

const renderIssue = (issue: FieldIssue): string =>
  issue.field === "" ? issue.message : `field "${issue.field}" ${issue.message}`;

/**
 * Names the element of an array of clients an issue is in by its id, when it has a
 * well-formed one (`tokens[1]` → `tokens[1] (id "support-desk")`): an index alone does not
 * tell an operator which client to fix. Ids are names, never credentials.
 */
const namingElements = (issue: FieldIssue, value: unknown): FieldIssue => {
  const match = /^(\w+)\[(\d+)\]/.exec(issue.field);
  if (!match || typeof value !== "object" || value === null) return issue;
  const list = (value as Record<string, unknown>)[match[1] ?? ""];
  const id = Array.isArray(list) ? (list[Number(match[2])] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof id !== "string" || !CLIENT_ID.test(id)) return issue;
  return { ...issue, field: `${match[0]} (id "${id}")${issue.field.slice(match[0].length)}` };
};

/**
 * Checks a parsed secret against its schema.
 *
 * @param name - the secret's name, used in the error message
 * @throws InvalidSecretError (a `ConfigurationError`) naming every bad field, never a value
 */
export const parseSecret = <T>(name: string, schema: SecretSchema<T>, value: unknown): T => {
  const result = v.safeParse(schema, value, safeParseConfig);
  if (result.success) return result.output;
  const issues = describeIssues(result.issues).map((issue) => namingElements(issue, value));
  const message = `secret "${name}": ${issues.map(renderIssue).join("; ")}`;
  throw new InvalidSecretError(name, message, issues);
};

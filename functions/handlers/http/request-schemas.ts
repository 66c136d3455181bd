/**
 * What the HTTP routes accept, beyond authentication. Ids share the rules of the
 * `Cancel Requested` event, so the three triggers accept the same things.
 */
import * as v from "valibot";
import { intentIdSchema, reasonSchema, uuidSchema } from "#adapters/events/cancel-requested-schema.ts";
import { describeIssues, safeParseConfig } from "#adapters/validation/describe-issues.ts";
import { isSafeOneLineText } from "#adapters/validation/safe-text.ts";
import { HttpProblem } from "./http-problem.ts";

const reason = v.optional(reasonSchema);

export const reasonBodySchema = v.object({ reason });
export const orderBodySchema = v.pipe(
  v.object({
    intentId: v.optional(intentIdSchema),
    charge: v.optional(v.object({ chargeUuid: uuidSchema, walletUuid: uuidSchema })),
    reason,
  }),
  v.check(
    (body) => body.intentId !== undefined || body.charge !== undefined,
    "must name an intentId, a charge or both",
  ),
);

/** Printable ASCII, as Stripe-style keys and UUIDs are. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Parses an optional JSON body against a schema; a problem names the field. */
export const parseBody = <T>(rawBody: string, schema: v.GenericSchema<unknown, T>): T => {
  let json: unknown = {};
  if (rawBody.trim() !== "") {
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new HttpProblem("validation", "The body is not valid JSON", { field: "body" });
    }
    // valibot's `object` also takes arrays (`typeof [] === "object"`): `[]` must not pass as "no reason".
    if (Array.isArray(json))
      throw new HttpProblem("validation", "The body must be a JSON object", { field: "body" });
  }
  const result = v.safeParse(schema, json, safeParseConfig);
  if (result.success) return result.output;
  const [first] = describeIssues(result.issues);
  throw new HttpProblem("validation", first?.message ?? "The body is not valid", {
    field: first?.field || "body",
  });
};

/** The caller's `Idempotency-Key` header, checked by shape. */
export const idempotencyKeyHeader = (header: string | undefined, required: boolean): string | undefined => {
  if (header === undefined || header === "") {
    if (required)
      throw new HttpProblem("validation", "Idempotency-Key is required on this route", {
        field: "Idempotency-Key",
      });
    return undefined;
  }
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new HttpProblem("validation", "Idempotency-Key must be 1-255 printable ASCII characters", {
      field: "Idempotency-Key",
    });
  }
  return header;
};

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/**
 * A listing's `limit` query parameter: decimal digits only, from 1 to {@link MAX_LIMIT}.
 * `Number()` would also take `1e2`, `0x10`, `+5`, ` 5` or `5.0`: one spelling per number.
 */
export const limitOf = (text: string | null): number => {
  if (text === null) return DEFAULT_LIMIT;
  const limit = /^[0-9]{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new HttpProblem("validation", `limit must be decimal digits, from 1 to ${MAX_LIMIT}`, {
      field: "limit",
    });
  }
  return limit;
};

/** The longest owner: `bus:` and an EventBridge source of 256 characters. */
const MAX_OWNER_LENGTH = 260;

/**
 * A read's `owner` query parameter: whose order it is (a client id, or `bus:<source>`);
 * absent, the caller's own. One line of printable text, as every stored text is.
 */
export const ownerParamOf = (text: string | null): string | undefined => {
  if (text === null) return undefined;
  if (text === "" || text.length > MAX_OWNER_LENGTH || !isSafeOneLineText(text)) {
    throw new HttpProblem(
      "validation",
      `owner must be a client id or bus:<source>: 1-${MAX_OWNER_LENGTH} characters, no control characters`,
      { field: "owner" },
    );
  }
  return text;
};

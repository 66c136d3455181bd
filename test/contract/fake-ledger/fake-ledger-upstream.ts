/**
 * A third upstream that exists only in the tests: Fake-Ledger, which releases payment holds.
 * Its registry entry is built exactly as a real one's (functions/adapters/upstreams/): its
 * definition (what upstream-registry.ts would hold), the shape of its secret, and its error
 * dialect — which differs from both real upstreams on purpose: errors are
 * `{error: {code, message}}`, the request id is `X-Ledger-Request`, and a 500 with code
 * `LEDGER_LOCKED` is a documented answer that must not be retried.
 */
import * as v from "valibot";
import type { UpstreamDialect } from "#adapters/http/exchange-types.ts";
import { httpUrl, nonEmpty } from "#adapters/secrets/secret-shapes.ts";
import type { UpstreamEntry } from "#adapters/upstreams/upstream-entry.ts";
import type { UpstreamDefinition } from "#adapters/upstreams/upstream-registry.ts";

export const FAKE_LEDGER = "fake-ledger";
export type FakeLedgerName = typeof FAKE_LEDGER;

/** What its line in upstream-registry.ts would be. */
export const FAKE_LEDGER_REGISTRY = {
  [FAKE_LEDGER]: {
    label: "Fake-Ledger",
    budgetPerMinute: 50,
    budgetSource: "made up for the test",
    callTimeoutMs: 8_000,
  },
} as const satisfies Record<FakeLedgerName, UpstreamDefinition>;

export const fakeLedgerSecretSchema = v.object({ baseUrl: httpUrl, apiKey: nonEmpty() });
export type FakeLedgerSecret = v.InferOutput<typeof fakeLedgerSecretSchema>;

const errorBodySchema = v.object({
  error: v.object({ code: v.string(), message: v.optional(v.string()) }),
});
const holdBodySchema = v.object({ hold: v.object({ id: v.string(), status: v.string() }) });

/** Its bodies: a hold, an error, or neither (not JSON, or another shape). */
export type FakeLedgerBody =
  | { kind: "hold"; id: string; status: string }
  | { kind: "error"; code: string; message: string | undefined }
  | { kind: "other" };

const parseBody = (text: string): FakeLedgerBody => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "other" };
  }
  const hold = v.safeParse(holdBodySchema, json);
  if (hold.success) return { kind: "hold", ...hold.output.hold };
  const error = v.safeParse(errorBodySchema, json);
  if (!error.success) return { kind: "other" };
  return { kind: "error", code: error.output.error.code, message: error.output.error.message };
};

export const fakeLedgerDialect: UpstreamDialect<FakeLedgerBody> = {
  parse: parseBody,
  describe: ({ headers, body }) => ({
    ...(body.kind === "error" ? { code: body.code, message: body.message } : {}),
    requestId: headers.get("x-ledger-request") || undefined,
  }),
  endsRetries: ({ status, body }) => status === 500 && body.kind === "error" && body.code === "LEDGER_LOCKED",
};

export const fakeLedgerUpstream = {
  name: FAKE_LEDGER,
  ...FAKE_LEDGER_REGISTRY[FAKE_LEDGER],
  secretSchema: fakeLedgerSecretSchema,
  dialect: fakeLedgerDialect,
} as const satisfies UpstreamEntry<FakeLedgerName, FakeLedgerSecret, FakeLedgerBody>;

/**
 * A55's registry entry: the shape of the `a55` secret (a fixed bearer token or OAuth2
 * client credentials) and its error dialect, how its answers read: a body of JSON whose
 * error form is `{charge_uuid, status: "error", message: [{code, source, description}]}`
 * (seed 001), and a request id in `X-Request-Id` or the body's `request_id`.
 */
import * as v from "valibot";
import type { UpstreamAnswer, UpstreamDialect } from "#adapters/http/exchange-types.ts";
import { httpUrl, nonEmpty } from "#adapters/secrets/secret-shapes.ts";
import type { UpstreamEntry } from "#adapters/upstreams/upstream-entry.ts";
import { UPSTREAM_REGISTRY } from "#adapters/upstreams/upstream-registry.ts";
import { firstEntries, upstreamText, upstreamToken } from "#adapters/validation/upstream-text.ts";
import type { A55ErrorDetail } from "#core/ports.ts";

// ---- the secret ----------------------------------------------------------------------

export const a55StaticTokenSecretSchema = v.object({
  baseUrl: httpUrl,
  accessToken: nonEmpty(),
});
export type A55StaticTokenSettings = v.InferOutput<typeof a55StaticTokenSecretSchema>;

export const a55ClientCredentialsSecretSchema = v.object({
  baseUrl: httpUrl,
  /** OAuth2 token endpoint; `client_credentials` is form-posted to it. */
  tokenUrl: httpUrl,
  clientId: nonEmpty(),
  clientSecret: nonEmpty(),
  scope: v.optional(nonEmpty()),
});
export type A55ClientCredentialsSettings = v.InferOutput<typeof a55ClientCredentialsSecretSchema>;

export type A55Settings = A55StaticTokenSettings | A55ClientCredentialsSettings;

/**
 * Either a fixed bearer token or OAuth2 client credentials. The presence of `accessToken`
 * picks the form (a plain union would report "expected Object | Object" instead of
 * naming the missing field); a secret holding both is read as a fixed token.
 */
export const a55SecretSchema: v.GenericSchema<unknown, A55Settings> = v.lazy((input) =>
  typeof input === "object" && input !== null && "accessToken" in input
    ? a55StaticTokenSecretSchema
    : a55ClientCredentialsSecretSchema,
);

/** A secret holding `accessToken` is a fixed token, whatever else it holds (as the schema reads it). */
export const isStaticToken = (settings: A55Settings): settings is A55StaticTokenSettings =>
  "accessToken" in settings && typeof settings.accessToken === "string";

/**
 * Where the settings come from (Secrets Manager, or a file locally). `refresh()` skips any
 * cache: it is called once when A55 rejects the credentials, in case they were rotated.
 */
export interface A55Credentials {
  get(): Promise<A55Settings>;
  refresh(): Promise<A55Settings>;
}

// ---- the error dialect ---------------------------------------------------------------

// Every field bounded as it is read (validation/upstream-text.ts): texts cut, codes refused past their length, the first entries kept.
const errorDetailSchema = v.object({
  code: v.pipe(upstreamToken(), v.minLength(1)),
  source: v.optional(upstreamText(), ""),
  description: v.optional(upstreamText(), ""),
});

const errorBodySchema = v.object({
  status: v.literal("error"),
  message: firstEntries(errorDetailSchema),
});

const requestIdSchema = v.object({ request_id: upstreamToken() });

/** An A55 answer's body: its JSON (undefined when it is not JSON), and the documented error entries when it is an error body. */
export interface A55Body {
  json: unknown;
  errors: A55ErrorDetail[] | undefined;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export const a55Dialect: UpstreamDialect<A55Body> = {
  parse: (text) => {
    const json = parseJson(text);
    const errorBody = v.safeParse(errorBodySchema, json);
    return { json, errors: errorBody.success ? errorBody.output.message : undefined };
  },
  describe: ({ headers, body }: UpstreamAnswer<A55Body>) => {
    const bodyRequestId = v.safeParse(requestIdSchema, body.json);
    const first = body.errors?.[0];
    return {
      ...(first ? { code: first.code, message: first.description } : {}),
      requestId:
        headers.get("x-request-id") || (bodyRequestId.success ? bodyRequestId.output.request_id : undefined),
    };
  },
};

export const a55Upstream = {
  name: "a55",
  ...UPSTREAM_REGISTRY.a55,
  secretSchema: a55SecretSchema,
  dialect: a55Dialect,
} as const satisfies UpstreamEntry<"a55", A55Settings, A55Body>;

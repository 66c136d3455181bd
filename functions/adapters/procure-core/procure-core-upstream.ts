/**
 * Procure-Core's registry entry: the shape of the `procure-core` secret (where it is, and
 * the app id and secret every request is signed with) and its error dialect, how its
 * answers read: every body is the envelope `{code, message, data}` (envelope.ts), the
 * request id is `X-Request-Id`, and 50003 "取消操作失败" is a documented answer that
 * arrives as HTTP 500 and must not be sent again.
 */
import * as v from "valibot";
import type { UpstreamDialect } from "#adapters/http/exchange-types.ts";
import { httpUrl, nonEmpty } from "#adapters/secrets/secret-shapes.ts";
import type { UpstreamEntry } from "#adapters/upstreams/upstream-entry.ts";
import { UPSTREAM_REGISTRY } from "#adapters/upstreams/upstream-registry.ts";
import { type Envelope, PROCURE_CORE_CODES, parseEnvelope } from "./envelope.ts";

export const procureCoreSecretSchema = v.object({
  baseUrl: httpUrl,
  appId: nonEmpty(),
  appSecret: nonEmpty(),
});
export type ProcureCoreCredentials = v.InferOutput<typeof procureCoreSecretSchema>;

/** Where the client's credentials come from; `refresh` bypasses any cache (called after a 401). */
export interface ProcureCoreCredentialSource {
  get(): Promise<ProcureCoreCredentials>;
  refresh(): Promise<ProcureCoreCredentials>;
}

/** A body that is not an envelope reads as `undefined`. */
export const procureCoreDialect: UpstreamDialect<Envelope | undefined> = {
  parse: parseEnvelope,
  describe: ({ headers, body }) => ({
    ...(body ? { code: body.code, message: body.message } : {}),
    requestId: headers.get("x-request-id") || undefined,
  }),
  // The seed's documented "cancel failed" answer: sending it again cannot help.
  endsRetries: ({ body }) => body?.code === PROCURE_CORE_CODES.cancelFailed,
};

export const procureCoreUpstream = {
  name: "procure-core",
  ...UPSTREAM_REGISTRY["procure-core"],
  secretSchema: procureCoreSecretSchema,
  dialect: procureCoreDialect,
} as const satisfies UpstreamEntry<"procure-core", ProcureCoreCredentials, Envelope | undefined>;

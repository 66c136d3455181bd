/**
 * The A55 charges client, as the composition root builds it. Loaded on the first charge
 * cancel (container.ts), with A55's response and token schemas: the HTTP function's intent
 * and order routes, the sweep and most bus messages never call A55.
 */
import { A55Client } from "#adapters/a55/a55-client.ts";
import { a55Upstream } from "#adapters/a55/a55-upstream.ts";
import type { ExchangeOptions } from "#adapters/http/exchange-types.ts";
import type { SecretProvider } from "#adapters/secrets/secret-provider.ts";
import type { UpstreamEntry } from "#adapters/upstreams/upstream-entry.ts";

/** The container's way to a secret: the one named after an upstream, of the shape its registry entry gives. */
export type UpstreamSecretOf = <T>(
  entry: Pick<UpstreamEntry<"a55", T, unknown>, "name" | "secretSchema">,
) => SecretProvider<T>;

export const buildA55Charges = (secretOf: UpstreamSecretOf, exchange: ExchangeOptions): A55Client =>
  new A55Client({ credentials: secretOf(a55Upstream), ...exchange });

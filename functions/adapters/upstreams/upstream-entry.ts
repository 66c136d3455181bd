/**
 * What an upstream's registry entry holds beyond the data in upstream-registry.ts (which
 * infra reads, so it holds no code): the schema of its secret and its error dialect, how
 * its answers read. Each upstream defines its entry in its own folder
 * (`procure-core/procure-core-upstream.ts`, `a55/a55-upstream.ts`); its client builds its
 * exchange from it, and the composition root its secret.
 */
import type { UpstreamProtocol } from "#adapters/http/exchange-types.ts";
import type { SecretSchema } from "#adapters/secrets/secret-shapes.ts";
import type { UpstreamDefinition } from "./upstream-registry.ts";

export interface UpstreamEntry<N extends string, Secret, Body>
  extends UpstreamDefinition,
    UpstreamProtocol<N, Body> {
  /** The shape of its secret, the one named after the upstream (`secretNamingOf(name)`). */
  secretSchema: SecretSchema<Secret>;
}

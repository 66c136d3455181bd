/**
 * The upstreams' part of the configuration (config.ts), for any registry of upstreams: each
 * one's variables are named after it (functions/adapters/upstreams/upstream-registry.ts),
 * `<UPSTREAM>_SECRET_ARN` and `<UPSTREAM>_BUDGET_PER_MINUTE`, so a new upstream needs no
 * line here. The service reads its own registry; a test may read one of its own.
 */
import {
  budgetVariableOf,
  secretNamingOf,
  type UpstreamDefinition,
} from "#adapters/upstreams/upstream-registry.ts";

/** Upstreams by name: the service's registry, or a test's own. */
export type UpstreamRegistryOf<N extends string> = { readonly [K in N]: UpstreamDefinition };

/** What these need of config.ts's reader, which collects every problem instead of throwing. */
export interface UpstreamEnvReader {
  required(name: string): string;
  integer(name: string, fallback: number, min: number, max: number, whyMax?: string): number;
}

const perUpstream = <N extends string, T>(
  registry: UpstreamRegistryOf<N>,
  read: (name: N) => T,
): Record<N, T> =>
  Object.fromEntries((Object.keys(registry) as N[]).map((name) => [name, read(name)])) as Record<N, T>;

/** Each upstream's `<UPSTREAM>_SECRET_ARN` (required). */
export const upstreamSecretArns = <N extends string>(
  registry: UpstreamRegistryOf<N>,
  reader: UpstreamEnvReader,
): Record<N, string> => perUpstream(registry, (name) => reader.required(secretNamingOf(name).arnVariable));

/** Each upstream's `<UPSTREAM>_BUDGET_PER_MINUTE`, its entry's `budgetPerMinute` when unset. */
export const upstreamBudgets = <N extends string>(
  registry: UpstreamRegistryOf<N>,
  reader: UpstreamEnvReader,
  maxPerMinute: number,
  whyMax: string,
): Record<N, number> =>
  perUpstream(registry, (name) =>
    reader.integer(budgetVariableOf(name), registry[name].budgetPerMinute, 1, maxPerMinute, whyMax),
  );

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

/** What these need of env-reader.ts's reader, which collects every problem instead of throwing. */
export interface UpstreamEnvReader {
  integer(name: string, fallback: number, min: number, max: number, whyMax?: string): number;
}

const perUpstream = <N extends string, T>(
  registry: UpstreamRegistryOf<N>,
  read: (name: N) => T,
): Record<N, T> =>
  Object.fromEntries((Object.keys(registry) as N[]).map((name) => [name, read(name)])) as Record<N, T>;

/**
 * Each upstream's `<UPSTREAM>_SECRET_ARN`, where the function was given it: a function is
 * given the secrets of the upstreams it calls (its manifest entry), and asking for another
 * fails naming its variable (functions/wiring/container.ts).
 */
export const upstreamSecretArns = <N extends string>(
  registry: UpstreamRegistryOf<N>,
  env: Record<string, string | undefined>,
): Partial<Record<N, string>> => {
  const given = perUpstream(registry, (name) => env[secretNamingOf(name).arnVariable]?.trim() || undefined);
  return Object.fromEntries(Object.entries(given).filter(([, arn]) => arn !== undefined)) as Partial<
    Record<N, string>
  >;
};

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

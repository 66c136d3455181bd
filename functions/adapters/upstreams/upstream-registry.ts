/**
 * The upstream registry: one entry per upstream the service calls, under the one name it
 * goes by (`UpstreamName`). Every other spelling is derived from that name here, because
 * production stages read them and they must never drift apart:
 *
 * | derived | procure-core | used by |
 * |---|---|---|
 * | secret name | `procure-core` | Secrets Manager (`<app>/<stage>/procure-core`), the `SECRETS_FILE` key, errors and logs |
 * | secret variable | `PROCURE_CORE_SECRET_ARN` | the functions' environment (set by infra, read by config.ts) |
 * | secret component | `ProcureCoreSecret` | SST's Linkable and the secret's logical name (`ProcureCoreSecretValue`) |
 * | secret output | `procureCoreSecretArn` | the stack's outputs |
 * | budget variable | `PROCURE_CORE_BUDGET_PER_MINUTE` | the shared budget's limit, default `budgetPerMinute` |
 *
 * Pure data with no runtime imports: infra/ (bundled into the SST program), the local stack
 * and the metric catalogue read it. What takes code — the secret's schema and how the
 * upstream's error answers read — is in upstream-entries.ts. Adding an upstream:
 * docs/adding-an-upstream.md.
 */
import type { UpstreamName } from "#core/errors.ts";

export interface UpstreamDefinition {
  /** How messages, logs and the docs write its name. */
  label: string;
  /** Requests per minute and client the shared budget allows when the budget variable is not set. */
  budgetPerMinute: number;
  /** Where that number comes from. */
  budgetSource: string;
  /** How long a call given no deadline may take, retries and waits included. */
  callTimeoutMs: number;
}

export const UPSTREAM_REGISTRY = {
  "procure-core": {
    label: "Procure-Core",
    budgetPerMinute: 300,
    budgetSource: "it publishes no limit: set what its operators allow",
    callTimeoutMs: 10_000,
  },
  a55: {
    label: "A55",
    budgetPerMinute: 100,
    budgetSource: "A55's documented limit per client",
    callTimeoutMs: 20_000,
  },
} as const satisfies { readonly [N in UpstreamName]: UpstreamDefinition };

/** Every upstream, in the registry's order (alarms and dashboards list them in it). */
export const UPSTREAM_NAMES = Object.keys(UPSTREAM_REGISTRY) as readonly UpstreamName[];

/** The secrets the service reads: one per upstream, and the inbound callers' `clients`. */
export const SECRET_NAMES = [...UPSTREAM_NAMES, "clients"] as const;
export type SecretName = UpstreamName | "clients";

const words = (name: string): string[] => name.split(/[^A-Za-z0-9]+/).filter(Boolean);
const capitalised = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** `procure-core` → `PROCURE_CORE`. */
const constantCase = (name: string): string => words(name).join("_").toUpperCase();
/** `procure-core` → `ProcureCore`. */
const pascalCase = (name: string): string => words(name).map(capitalised).join("");

/** The names a secret goes by outside the code (see the table above). */
export const secretNamingOf = (name: string) => {
  const pascal = pascalCase(name);
  return {
    /** Secrets Manager's `<app>/<stage>/<name>`, the `SECRETS_FILE` key, errors and logs. */
    name,
    /** The variable holding its ARN in a function's environment. */
    arnVariable: `${constantCase(name)}_SECRET_ARN`,
    /** SST component name (the logical names of its Linkable and its secret). */
    component: `${pascal}Secret`,
    /** The stack output holding its ARN. */
    output: `${pascal.charAt(0).toLowerCase()}${pascal.slice(1)}SecretArn`,
  } as const;
};

/** The variable that overrides an upstream's shared budget (requests per minute and client). */
export const budgetVariableOf = (name: string): string => `${constantCase(name)}_BUDGET_PER_MINUTE`;

/** Every upstream's budget variable with its default, as strings: the environment every function shares. */
export const upstreamBudgetEnvironment = (): Record<string, string> =>
  Object.fromEntries(
    UPSTREAM_NAMES.map((name) => [budgetVariableOf(name), String(UPSTREAM_REGISTRY[name].budgetPerMinute)]),
  );

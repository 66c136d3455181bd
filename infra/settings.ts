/**
 * Settings every concern shares: the stage policy and the Lambda defaults.
 * Kept in one place so the graph check (test/infra) can assert them against one source.
 */

/** The one stage whose data and credentials must survive `sst remove` and mistakes. */
export const PRODUCTION_STAGE = "production";

/** True when the current stage holds real data (deletion protection, retention, `protect`). */
export function isProduction(): boolean {
  return $app.stage === PRODUCTION_STAGE;
}

/** Names every function reports to Powertools, so logs and metrics line up across triggers. */
export { METRICS_NAMESPACE, SERVICE_NAME } from "../functions/wiring/metric-catalogue.ts";

/**
 * The settings every Lambda of this service shares. Memory and timeout are per function
 * (functions/manifest/function-manifest.ts) because each trigger has its own time budget.
 */
export function lambdaDefaults() {
  return {
    runtime: "nodejs22.x",
    architecture: "arm64",
    logging: { retention: "1 month", format: "text" },
    // Split bundles: the credential providers (and the node:http they import) load only if used.
    // Measured by `npm run bench -- --only cold-start`: module init 88-94 ms → 50-60 ms.
    nodejs: { format: "esm", splitting: true, minify: true },
    transform: {
      // SST 4.17 also trusts the account root in every function role's trust policy (its
      // `!dev` test is on an Output, hence always false): only Lambda may assume these roles.
      role: { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "lambda.amazonaws.com" }) },
    },
  } as const;
}

/**
 * The shared upstream budget (functions/adapters/budget/): each upstream's limit is the
 * default of its registry entry (functions/adapters/upstreams/upstream-registry.ts, which
 * says where each number comes from); bus, sweep and continuation work may use 60% of each.
 */
export const BACKGROUND_BUDGET_SHARE = "0.6";

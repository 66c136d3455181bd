import { FUNCTIONS, type FunctionName } from "#manifest/function-manifest.ts";
import { callsUpstreams, environmentOf, roleOf, type VariableSource } from "#manifest/function-resources.ts";
import type { ResourceRef, SecretName, TableName } from "#manifest/manifest-types.ts";
import { one, str, TYPES } from "./graph-queries.ts";
import type { Snapshot } from "./snapshot.ts";

/**
 * The function manifest (functions/manifest) read against an evaluated graph: what each of its
 * abstract references is in this stack (the resources SST names after the logical names), so
 * graph.check.ts can assert that infra deployed exactly what the manifest says, with real ARNs.
 */

const TABLE_RESOURCES: Record<TableName, string> = {
  idempotency: "IdempotencyTableTable",
  audit: "AuditTableTable",
};
const SECRET_RESOURCES: Record<SecretName, string> = {
  "procure-core": "ProcureCoreSecretValue",
  a55: "A55SecretValue",
  clients: "ClientsSecretValue",
};
const BUS_RESOURCE = "CancellationBusBus";

/** The queue SST creates for a logical queue name. */
export const queueResource = (s: Snapshot, name: string) => one(s, TYPES.queue, `${name}Queue`);

/** The ARN of what a manifest reference names, read from the graph (never built from a pattern). */
export function arnOfRef(s: Snapshot, ref: ResourceRef): string {
  switch (ref.kind) {
    case "table":
      return str(one(s, TYPES.table, TABLE_RESOURCES[ref.table]), "arn");
    case "index":
      return `${str(one(s, TYPES.table, TABLE_RESOURCES[ref.table]), "arn")}/index/${ref.index}`;
    case "stream":
      return str(one(s, TYPES.table, TABLE_RESOURCES[ref.table]), "streamArn");
    case "queue":
      return str(queueResource(s, ref.queue), "arn");
    case "bus":
      return str(one(s, TYPES.bus, BUS_RESOURCE), "arn");
    case "secret":
      return str(one(s, TYPES.secret, SECRET_RESOURCES[ref.secret]), "arn");
  }
}

function resolveVariable(s: Snapshot, source: VariableSource): string {
  switch (source.kind) {
    case "table-name":
      return str(one(s, TYPES.table, TABLE_RESOURCES[source.table]), "name");
    case "queue-url":
      return str(queueResource(s, source.queue), "url");
    case "bus-name":
      return str(one(s, TYPES.bus, BUS_RESOURCE), "name");
    case "secret-arn":
      return str(one(s, TYPES.secret, SECRET_RESOURCES[source.secret]), "arn");
    case "value":
      return source.value;
  }
}

/** Exactly the inline grants the manifest gives one function's role, as `Allow <action> on <arn>`. */
export function manifestGrants(s: Snapshot, name: FunctionName): string[] {
  return roleOf(FUNCTIONS[name])
    .flatMap((permission) =>
      permission.actions.map((action) => `Allow ${action} on ${arnOfRef(s, permission.resource)}`),
    )
    .sort();
}

/**
 * Exactly the environment one function must have: what its manifest entry says it uses,
 * plus what every function shares, plus the upstream budget's limits for a function that
 * calls an upstream (the service's agreed limits, stated here independently of infra/).
 */
export function manifestEnvironment(s: Snapshot, name: FunctionName, stage: string): Record<string, string> {
  const fn = FUNCTIONS[name];
  const own = Object.fromEntries(
    Object.entries(environmentOf(fn)).map(([variable, source]) => [variable, resolveVariable(s, source)]),
  );
  return {
    ...own,
    POWERTOOLS_SERVICE_NAME: "cancellation-service",
    POWERTOOLS_METRICS_NAMESPACE: "CancellationService",
    LOG_LEVEL: stage === "production" ? "INFO" : "DEBUG",
    ...(callsUpstreams(fn)
      ? {
          A55_BUDGET_PER_MINUTE: "100",
          PROCURE_CORE_BUDGET_PER_MINUTE: "300",
          BACKGROUND_BUDGET_SHARE: "0.6",
        }
      : {}),
  };
}

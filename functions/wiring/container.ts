/**
 * The one composition root: configuration in, every client and port out. Built once per
 * container (on the first invocation) and reused by every later one, so secrets stay
 * cached and connections stay warm. Production, `npm start` and the integration tests
 * all come through here; only the endpoints and the secrets source differ.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { monotonicFactory } from "ulid";
import type { RingStore } from "#adapters/budget/budget-ring-store.ts";
import type { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoBulkJobStore } from "#adapters/dynamo/bulk-job-store.ts";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import { derivedIdempotencyKey } from "#adapters/ids/derived-key.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import { procureCoreUpstream } from "#adapters/procure-core/procure-core-upstream.ts";
import {
  createFileSecretProvider,
  createSecretsManagerProvider,
  type SecretProvider,
} from "#adapters/secrets/secret-provider.ts";
import {
  type ClientsSecret,
  clientsSecretSchema,
  type SecretSchema,
} from "#adapters/secrets/secret-shapes.ts";
import type { UpstreamEntry } from "#adapters/upstreams/upstream-entry.ts";
import { type SecretName, secretNamingOf } from "#adapters/upstreams/upstream-registry.ts";
import type { BulkJobStore } from "#core/bulk-ports.ts";
import type { CancelDependencies } from "#core/dependencies.ts";
import { ConfigurationError, type UpstreamName } from "#core/errors.ts";
import type { ChargesUpstream, Ids } from "#core/ports.ts";
import { readConfig, type ServiceConfig } from "./config.ts";
import { portOnFirstUse } from "./load-on-first-use.ts";
import { getLogger, getMetrics } from "./observability.ts";
import { buildUpstreamWiring } from "./upstream-wiring.ts";

export interface Container {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  deps: CancelDependencies;
  /** The shared upstream budget every upstream attempt of this container takes a slot from. */
  budget: SharedUpstreamBudget;
  /** Inbound callers' credentials (HTTP auth). */
  clients: SecretProvider<ClientsSecret>;
  /** Bulk cancellation jobs (in the idempotency table). */
  bulk: BulkJobStore;
}

/** Clients a test or the local stack may supply instead of the defaults. */
export interface ContainerOverrides {
  dynamoDb?: DynamoDBClient;
  secretsManager?: SecretsManagerClient;
  fetch?: typeof fetch;
  /** Where the shared upstream budget keeps its rings (benchmarks measuring the service without a limit). */
  budgetStore?: RingStore;
}

/** ULIDs for records; A55 keys derived from scope keys, shaped as UUID v4 (derived-key.ts). */
export const ulidIds = (): Ids => {
  const next = monotonicFactory();
  return { next: () => next(), derived: (name) => derivedIdempotencyKey(name) };
};

export const buildContainer = (
  config: ServiceConfig,
  observability: { logger: Logger; metrics: Metrics } = { logger: getLogger(), metrics: getMetrics() },
  overrides: ContainerOverrides = {},
): Container => {
  const { logger, metrics } = observability;
  const local = config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {};
  const dynamoDb = overrides.dynamoDb ?? new DynamoDBClient({ ...local, maxAttempts: 2 });
  const secretsManager = overrides.secretsManager ?? new SecretsManagerClient({});

  const { secrets } = config;
  const secret = <T>(name: SecretName, schema: SecretSchema<T>): SecretProvider<T> => {
    const ttlMs = config.secretsTtlMs;
    if (secrets.source === "file")
      return createFileSecretProvider({ path: secrets.path, key: name, name, schema, ttlMs });
    const secretId = name === "clients" ? secrets.clients : secrets.upstreams[name];
    if (!secretId) return unconfiguredSecret(name, secretNamingOf(name).arnVariable);
    return createSecretsManagerProvider({ client: secretsManager, secretId, name, schema, ttlMs });
  };
  /** An upstream's secret: the one named after it, of the shape its registry entry gives. */
  const upstreamSecret = <T>(entry: Pick<UpstreamEntry<UpstreamName, T, unknown>, "name" | "secretSchema">) =>
    secret(entry.name, entry.secretSchema);

  const upstreams = buildUpstreamWiring(config, {
    dynamoDb,
    logger,
    metrics,
    fetch: overrides.fetch,
    store: overrides.budgetStore,
  });
  const intents = new ProcureCoreClient({
    credentials: upstreamSecret(procureCoreUpstream),
    ...upstreams.exchange,
  });
  // Loaded on the first charge cancel: most invocations of every function cancel none.
  const charges = portOnFirstUse<ChargesUpstream>(
    async () => (await import("./a55-charges.ts")).buildA55Charges(upstreamSecret, upstreams.exchange),
    ["cancelCharge"],
  );

  const audit = new DynamoAuditLog({ client: dynamoDb, auditTable: config.auditTable });
  const deps: CancelDependencies = {
    intents,
    charges,
    idempotency: new DynamoIdempotencyStore({ client: dynamoDb, idempotencyTable: config.idempotencyTable }),
    audit,
    cancellations: new DynamoCancellationStore({
      client: dynamoDb,
      idempotencyTable: config.idempotencyTable,
    }),
    work: new DynamoUnitOfWork({
      client: dynamoDb,
      idempotencyTable: config.idempotencyTable,
      auditTable: config.auditTable,
    }),
    lifecycle: config.lifecycle,
    clock: { now: () => Date.now() },
    ids: ulidIds(),
  };
  return {
    config,
    logger,
    metrics,
    deps,
    budget: upstreams.budget,
    clients: secret("clients", clientsSecretSchema),
    bulk: new DynamoBulkJobStore({
      client: dynamoDb,
      table: config.idempotencyTable,
      auditTable: config.auditTable,
    }),
  };
};

/** A secret this function was not given: asking for it is a configuration error that names the variable. */
const unconfiguredSecret = <T>(name: string, variable: string): SecretProvider<T> => {
  const fail = (): Promise<T> =>
    Promise.reject(
      new ConfigurationError(`Secret "${name}" is not configured for this function: ${variable} is missing`),
    );
  return { get: fail, refresh: fail };
};

let current: Container | undefined;

/** The container of this Lambda instance, built on first use from `process.env`. */
export const getContainer = (): Container => {
  current ??= buildContainer(readConfig(process.env));
  return current;
};

/** Replaces the container (integration tests build theirs with local endpoints). */
export const setContainer = (container: Container | undefined): void => {
  current = container;
};

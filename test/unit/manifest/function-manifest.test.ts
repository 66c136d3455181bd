/**
 * The function manifest (functions/manifest) is consistent with itself and with the code that
 * reads it: its references resolve, each function's environment is exactly what its
 * configuration needs (it starts with that and nothing more, and uses every variable it is
 * given), and the local stack runs the same table.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { auditTable, idempotencyTable } from "#adapters/dynamo/table-definitions.ts";
import { ConfigurationError } from "#core/errors.ts";
import { HTTP_CONTAINER_CEILING, localFunctions } from "#local/stack/local-functions.ts";
import { REPO_ROOT, readLocalSettings } from "#local/stack/settings.ts";
import { FUNCTION_LIST, FUNCTIONS } from "#manifest/function-manifest.ts";
import {
  environmentOf,
  localNameOf,
  roleOf,
  triggerQueuesOf,
  type VariableSource,
} from "#manifest/function-resources.ts";
import type { FunctionDefinition } from "#manifest/manifest-types.ts";
import { buildBulkDriverWiring } from "#wiring/bulk-driver-wiring.ts";
import { buildBusWiring } from "#wiring/bus-wiring.ts";
import { readConfig, readRelayConfig } from "#wiring/config.ts";
import { buildContainer } from "#wiring/container.ts";
import { buildRelayContainer } from "#wiring/relay-container.ts";

/** A stand-in value of the right shape for every variable a manifest entry gives its function. */
const placeholder = (source: VariableSource): string => {
  switch (source.kind) {
    case "table-name":
      return `t-${source.table}`;
    case "queue-url":
      return `http://127.0.0.1:9/000000000000/${source.queue}`;
    case "bus-name":
      return "bus";
    case "secret-arn":
      return `arn:aws:secretsmanager:us-east-1:000000000000:secret:${source.secret}`;
    case "value":
      return source.value;
  }
};
const environmentFor = (fn: FunctionDefinition): Record<string, string> =>
  Object.fromEntries(Object.entries(environmentOf(fn)).map(([name, source]) => [name, placeholder(source)]));

/** Builds what the function's handler builds on its first invocation; throws what it would throw. */
const startAs = async (fn: FunctionDefinition, env: Record<string, string>): Promise<void> => {
  if (fn.composition === "relay") {
    buildRelayContainer(readRelayConfig(env));
    return;
  }
  const container = buildContainer(readConfig(env));
  if (fn.trigger.kind === "work-queue") buildBusWiring(container);
  // The continuation's handler drives bulk jobs: it builds their wiring on its first run.
  if (fn.name === "Continuation") buildBulkDriverWiring(container);
  // What a function asks for only when it uses it (so a function not given it still starts).
  if (env.CLIENTS_SECRET_ARN === undefined) {
    await expect(container.clients.get()).rejects.toThrow("CLIENTS_SECRET_ARN is missing");
  }
};

describe("function manifest", () => {
  it("names each entry by its logical name; local names are distinct", () => {
    for (const [key, fn] of Object.entries(FUNCTIONS)) expect(fn.name).toBe(key);
    const local = FUNCTION_LIST.map(localNameOf);
    expect(new Set(local).size).toBe(local.length);
  });

  it("points every handler at a file of the repository", () => {
    for (const fn of FUNCTION_LIST) {
      const file = path.join(REPO_ROOT, `${fn.handler.slice(0, fn.handler.lastIndexOf("."))}.ts`);
      expect(existsSync(file), fn.handler).toBe(true);
    }
  });

  it("names only queues a trigger owns and indexes the tables have", () => {
    const owned = new Set(FUNCTION_LIST.flatMap((fn) => Object.values(triggerQueuesOf(fn))));
    const indexes = {
      idempotency: Object.keys(idempotencyTable.globalIndexes),
      audit: Object.keys(auditTable.globalIndexes),
    };
    for (const fn of FUNCTION_LIST) {
      for (const { resource } of roleOf(fn)) {
        if (resource.kind === "queue")
          expect(owned, `${fn.name}: ${resource.queue}`).toContain(resource.queue);
        if (resource.kind === "index") expect(indexes[resource.table]).toContain(resource.index);
      }
    }
  });

  it("gives each function the variables of what it uses, and nothing else", () => {
    const variables = Object.fromEntries(
      FUNCTION_LIST.map((fn) => [fn.name, Object.keys(environmentOf(fn)).sort()]),
    );
    const tables = ["AUDIT_TABLE", "IDEMPOTENCY_TABLE"];
    expect(variables).toEqual({
      HttpApi: [...tables, "A55_SECRET_ARN", "CLIENTS_SECRET_ARN", "PROCURE_CORE_SECRET_ARN"].sort(),
      CancelRequested: [
        ...tables,
        "A55_SECRET_ARN",
        "CANCEL_REQUESTED_FAILURES_URL",
        "CANCEL_REQUESTED_QUEUE_URL",
        "PROCURE_CORE_SECRET_ARN",
      ].sort(),
      ExpirySweep: [...tables, "EXPIRY_AFTER", "PROCURE_CORE_SECRET_ARN", "SWEEP_CONCURRENCY"].sort(),
      Continuation: [
        ...tables,
        "A55_SECRET_ARN",
        "CANCEL_REQUESTED_QUEUE_URL",
        "PROCURE_CORE_SECRET_ARN",
        "STUCK_AFTER",
      ].sort(),
      OutboxRelay: ["EVENT_BUS_NAME"],
    });
  });

  for (const fn of FUNCTION_LIST) {
    it(`${fn.name} starts from exactly its manifest environment, and needs every resource variable it is given`, async () => {
      const env = environmentFor(fn);
      await startAs(fn, env);

      for (const [name, source] of Object.entries(environmentOf(fn))) {
        if (source.kind === "value") continue;
        const { [name]: _dropped, ...without } = env;
        const started = startAs(fn, without).then(
          () => "started",
          (error: unknown) => error,
        );
        if (name === "A55_SECRET_ARN") {
          // Asked for when a charge is cancelled: the function starts, its A55 client does not.
          const container = buildContainer(readConfig(without));
          await expect(
            container.deps.charges.cancelCharge(
              {
                chargeUuid: "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
                walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
                idempotencyKey: "a1b2c3d4-e5f6-4890-abcd-ef1234567891",
              },
              { deadline: Date.now() + 5_000 },
            ),
          ).rejects.toThrow(`${name} is missing`);
        } else if (name === "CLIENTS_SECRET_ARN") {
          expect(await started).toBe("started");
        } else {
          const error = await started;
          expect(error, name).toBeInstanceOf(ConfigurationError);
          expect(String(error), name).toContain(`${name} is missing`);
        }
      }
    });
  }

  it("is the local stack's table of functions (npm start)", () => {
    const local = localFunctions(readLocalSettings({}, { inMemory: true }));
    expect(
      local.map((spec) => [
        spec.name,
        spec.handler,
        spec.memoryMb,
        spec.timeoutSeconds,
        spec.workers,
        spec.trigger.kind,
      ]),
    ).toEqual(
      FUNCTION_LIST.map((fn) => [
        localNameOf(fn),
        fn.handler,
        fn.memoryMb,
        fn.timeoutSeconds,
        // Deployed, the API's function has no reserved concurrency: locally it grows to a ceiling.
        fn.trigger.kind === "http" ? Math.max(fn.concurrency, HTTP_CONTAINER_CEILING) : fn.concurrency,
        { http: "http", "work-queue": "sqs", schedule: "schedule", "dynamodb-stream": "dynamodb-stream" }[
          fn.trigger.kind
        ],
      ]),
    );
    expect(local.find((spec) => spec.name === "http-api")?.workers).toBe(16);
    const pinned = localFunctions(
      readLocalSettings({ CANCEL_LOCAL_WORKERS: "http-api=4" }, { inMemory: true }),
    );
    expect(pinned.find((spec) => spec.name === "http-api")?.workers).toBe(4);
    const bus = local.find((spec) => spec.name === "cancel-requested")?.trigger;
    expect(bus).toMatchObject({
      kind: "sqs",
      busRule: "Cancel Requested",
      queueUrlVariable: "CANCEL_REQUESTED_QUEUE_URL",
      visibilityTimeoutSeconds: FUNCTIONS.CancelRequested.trigger.visibilityTimeoutSeconds,
      maxReceiveCount: FUNCTIONS.CancelRequested.trigger.maxReceiveCount,
      mapping: FUNCTIONS.CancelRequested.trigger.mapping,
    });
    // The continuation's bulk driver sends to the bus function's work queue.
    expect(local.find((spec) => spec.name === "continuation")?.sends).toEqual([
      { queue: "cancellation-local-cancel-requested", variable: "CANCEL_REQUESTED_QUEUE_URL" },
    ]);
    expect(local.filter((spec) => spec.sends !== undefined).map((spec) => spec.name)).toEqual([
      "continuation",
    ]);
  });
});

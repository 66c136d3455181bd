/**
 * Each local function is given what its deployed one is (functions/manifest/deployed-environment.ts,
 * the list infra/environment.ts resolves; test/infra/graph.check.ts pins what infra deploys), plus
 * what only a local run needs, and nothing else. The environments are read as a container gets
 * them: from the stack itself (local-stack.ts, with an invoker that records its spec and the
 * service's environment and runs nothing instead of starting workers), so the queue URLs the stack adds count too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetVariableOf, UPSTREAM_NAMES } from "#adapters/upstreams/upstream-registry.ts";
import type { FunctionPoolOptions } from "#local/stack/lambda/function-pool.ts";
import { inProcessInvoker } from "#local/stack/lambda/in-process-invoker.ts";
import type { Invoker } from "#local/stack/lambda/invoker.ts";
import type { LocalFunctionSpec } from "#local/stack/lambda/local-function.ts";
import { localFunctions } from "#local/stack/local-functions.ts";
import { type RunningLocalStack, startLocalStack } from "#local/stack/local-stack.ts";
import { definitionOf, withLocalEnvironments } from "#local/stack/service-env.ts";
import { REPO_ROOT, readLocalSettings } from "#local/stack/settings.ts";
import { LOCAL_TABLES } from "#local/stack/tables.ts";
import { deployedEnvironmentOf } from "#manifest/deployed-environment.ts";
import { FUNCTION_LIST, FUNCTIONS } from "#manifest/function-manifest.ts";
import { localNameOf } from "#manifest/function-resources.ts";
import { readConfig, readRelayConfig } from "#wiring/config.ts";

const SECRETS_FILE = "/tmp/local-secrets.json";
/** What every local container gets besides its function's own: the local endpoints, Lambda's region and fake credentials, EMF off. */
const LOCAL_RUNTIME = [
  "DYNAMODB_ENDPOINT",
  "EVENTBRIDGE_ENDPOINT",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "POWERTOOLS_METRICS_DISABLED",
];

/** Each function's environment as its containers get it (the service's, then its spec's own on top). */
const startRecording = async (
  inherited: Record<string, string | undefined>,
): Promise<{ stack: RunningLocalStack; environments: Map<string, Record<string, string>> }> => {
  const settings = readLocalSettings({}, { inMemory: true });
  const environments = new Map<string, Record<string, string>>();
  const recordingInvoker = (spec: LocalFunctionSpec, pool: FunctionPoolOptions): Invoker => {
    environments.set(spec.name, { ...pool.serviceEnv, ...spec.env });
    return inProcessInvoker(spec, async () => ({}));
  };
  const stack = await startLocalStack({
    httpPort: 0,
    ...withLocalEnvironments(localFunctions(settings), settings, SECRETS_FILE, inherited),
    root: REPO_ROOT,
    log: () => {},
    createInvoker: recordingInvoker,
    startStreamSource: async () => ({ close: () => {}, failures: () => [] }),
  });
  return { stack, environments };
};

describe("each local function's environment", () => {
  let stack: RunningLocalStack | undefined;
  let environments = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    ({ stack, environments } = await startRecording({
      // The developer's shell: only the listed settings reach a function.
      AWS_PROFILE: "production-admin",
      AWS_ENDPOINT_URL: "https://real.example",
      IDEMPOTENCY_TABLE: "someone-elses-table",
    }));
  });
  afterAll(async () => {
    await stack?.close();
  });

  const envOf = (name: string): Record<string, string> => {
    const env = environments.get(name);
    if (env === undefined) throw new Error(`the stack ran no ${name}`);
    return env;
  };

  for (const fn of FUNCTION_LIST) {
    const name = localNameOf(fn);
    const deployed = deployedEnvironmentOf(fn);
    const secretArns = Object.keys(deployed).filter((key) => deployed[key]?.kind === "secret-arn");
    const queueUrls = Object.keys(deployed).filter((key) => deployed[key]?.kind === "queue-url");

    it(`${name}: what infra gives it, the secrets file for its secrets' ARNs, and the local runtime, nothing else`, () => {
      const expected = [
        ...Object.keys(deployed).filter((key) => !secretArns.includes(key)),
        ...(secretArns.length > 0 ? ["SECRETS_FILE"] : []),
        ...(queueUrls.length > 0 ? ["SQS_ENDPOINT"] : []),
        ...(fn.composition === "service" ? ["CONTINUATION_FIRST_CHECK"] : []),
        ...LOCAL_RUNTIME,
      ];
      expect(Object.keys(envOf(name)).sort()).toEqual([...new Set(expected)].sort());
    });

    it(`${name}: infra's values where they are not the stage's names, the local tables and bus where they are`, () => {
      const env = envOf(name);
      for (const [variable, source] of Object.entries(deployed)) {
        if (source.kind === "value") expect(env[variable], variable).toBe(source.value);
        if (source.kind === "table-name") expect(env[variable], variable).toBe(LOCAL_TABLES[source.table]);
        if (source.kind === "bus-name") expect(env[variable], variable).toBe("cancellation-local");
        if (source.kind === "queue-url") expect(env[variable], variable).toMatch(/^http:\/\/127\.0\.0\.1:/);
      }
    });

    it(`${name}: a valid configuration for its composition root`, () => {
      const env = envOf(name);
      expect(() => (fn.composition === "relay" ? readRelayConfig(env) : readConfig(env))).not.toThrow();
    });
  }

  it("gives the bus's name to the relay alone, and tables and secrets to no relay", () => {
    const relay = envOf(localNameOf(FUNCTIONS.OutboxRelay));
    expect(Object.keys(relay).sort()).toEqual(
      [
        "EVENT_BUS_NAME",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
        ...LOCAL_RUNTIME,
      ].sort(),
    );
    for (const fn of FUNCTION_LIST.filter((entry) => entry.composition === "service")) {
      expect(envOf(localNameOf(fn)), fn.name).not.toHaveProperty("EVENT_BUS_NAME");
    }
  });

  it("gives the budget's limits and share to every function that calls an upstream, the same ones", () => {
    const budgets = [...UPSTREAM_NAMES.map(budgetVariableOf), "BACKGROUND_BUDGET_SHARE"];
    const callers = FUNCTION_LIST.filter((fn) => fn.composition === "service").map((fn) =>
      Object.fromEntries(budgets.map((variable) => [variable, envOf(localNameOf(fn))[variable]])),
    );
    expect(callers.length).toBeGreaterThan(1);
    for (const seen of callers) expect(seen).toEqual(callers[0]);
    expect(callers[0]?.BACKGROUND_BUDGET_SHARE).toBe("0.6");
  });
});

describe("a developer's overrides", () => {
  it("reach the functions that read them, over their own settings, and no other", async () => {
    const { stack, environments } = await startRecording({ EXPIRY_AFTER: "1h", LOG_LEVEL: "DEBUG" });
    try {
      const sweep = environments.get(localNameOf(FUNCTIONS.ExpirySweep)) ?? {};
      const relay = environments.get(localNameOf(FUNCTIONS.OutboxRelay)) ?? {};
      expect(FUNCTIONS.ExpirySweep.settings.EXPIRY_AFTER).toBe("24h");
      expect(sweep.EXPIRY_AFTER).toBe("1h");
      expect(relay).not.toHaveProperty("EXPIRY_AFTER");
      expect([sweep.LOG_LEVEL, relay.LOG_LEVEL]).toEqual(["DEBUG", "DEBUG"]);
    } finally {
      await stack.close();
    }
  });

  it("name a manifest function for every local one", () => {
    const settings = readLocalSettings({}, { inMemory: true });
    expect(localFunctions(settings).map((spec) => definitionOf(spec).name)).toEqual(
      FUNCTION_LIST.map((fn) => fn.name),
    );
  });
});

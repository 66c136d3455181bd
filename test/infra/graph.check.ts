import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { auditTable, idempotencyTable } from "#adapters/dynamo/table-definitions.ts";
import { FUNCTION_LIST, FUNCTIONS, type FunctionName } from "#manifest/function-manifest.ts";
import { triggerQueuesOf } from "#manifest/function-resources.ts";
import { readConfig, readRelayConfig } from "#wiring/config.ts";
import { TRIGGERS, UPSTREAMS } from "#wiring/metric-catalogue.ts";
import { parseDeadLetterQueues } from "../../bin/cancelctl/dead-letters/queue-catalogue.ts";
import {
  allOf,
  environmentOf,
  grantsOf,
  inlineStatements,
  one,
  type Statement,
  statementsOf,
  str,
  TYPES,
} from "./graph-queries.ts";
import { arnOfRef, manifestEnvironment, manifestGrants, queueResource } from "./manifest-queries.ts";
import {
  MONITORING_TYPES,
  metricsOfAlarm,
  metricsOfDashboard,
  unknownExpressionIds,
  whyNotExisting,
} from "./monitoring-queries.ts";
import { ROOT, snapshotFile } from "./paths.ts";
import type { ResourceRecord, Snapshot } from "./snapshot.ts";

/**
 * The resource graph of sst.config.ts, evaluated offline under Pulumi mocks once per stage
 * (one process each: mocks are global), checked against what the service needs.
 * Run: node --test test/infra/graph.check.ts (after `sst install`; see `npm run check:infra`).
 */

const run = promisify(execFile);
const ALARM_EMAIL = "oncall@example.com";
const STAGES = ["ci", "production"] as const;
const snapshots = new Map<string, Snapshot>();

function evaluated(stage: string): Snapshot {
  const snapshot = snapshots.get(stage);
  if (!snapshot) throw new Error(`stage ${stage} was not evaluated`);
  return snapshot;
}

/** A cleanly evaluated snapshot; otherwise one short reason (the details are in "evaluates cleanly"). */
function snapshotOf(stage: string): Snapshot {
  const snapshot = evaluated(stage);
  if (snapshot.errors.length > 0)
    throw new Error(`stage ${stage} did not evaluate cleanly (see its first test)`);
  return snapshot;
}

/**
 * Runs the evaluator for one stage in its own process. A failing evaluation still writes its
 * snapshot (with the errors, shown by the stage's first test); only a missing snapshot throws.
 */
async function evaluateStage(stage: string): Promise<Snapshot> {
  await rm(snapshotFile(stage), { force: true });
  let failure: { code?: number | string; stderr?: string; message: string } | undefined;
  try {
    await run(process.execPath, [path.join(ROOT, "test/infra/evaluate-stage.ts"), stage], {
      cwd: ROOT,
      // Production refuses to deploy without somewhere to send its alarms; other stages may omit it.
      env: { ...process.env, ALARM_EMAIL: stage === "production" ? ALARM_EMAIL : "" },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
  } catch (error) {
    failure = error as typeof failure;
  }
  if (!existsSync(snapshotFile(stage))) {
    throw new Error(
      `evaluating stage ${stage} wrote no snapshot: ${failure?.message}\n${failure?.stderr ?? ""}`,
    );
  }
  const snapshot = JSON.parse(await readFile(snapshotFile(stage), "utf8")) as Snapshot;
  if (failure && snapshot.errors.length === 0) {
    snapshot.errors.push(`evaluator exited with ${failure.code}: ${failure.stderr?.trim().slice(0, 2000)}`);
  }
  return snapshot;
}

before(
  async () => {
    for (const stage of STAGES) snapshots.set(stage, await evaluateStage(stage));
  },
  { timeout: 600_000 },
);

// ---- What the service needs (docs/deploy.md, "What runs where"), independent of how infra/ spells it ----

const ROUTES = [
  "POST /api/v1/intents/{id}/cancel",
  "POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}",
  "POST /api/v1/orders/{orderId}/cancel",
  "GET /api/v1/orders/{orderId}/cancellation",
  "GET /api/v1/cancellations/{type}/{id}",
  "GET /api/v1/reports/daily/{day}",
  "GET /api/v1/cancellations",
  "POST /api/v1/bulk-cancellations",
  "GET /api/v1/bulk-cancellations/{id}",
  "GET /api/v1/bulk-cancellations/{id}/items",
  "POST /api/v1/bulk-cancellations/{id}/stop",
  // The catch-all: 404/405 for anything else, and the seed's trailing-slash charge path.
  "$default",
];

/** The functions, as the function manifest (functions/manifest/function-manifest.ts) declares them. */
const NAMES = FUNCTION_LIST.map((fn) => fn.name as FunctionName);

const OUTPUTS = [
  "apiUrl",
  "eventBusName",
  "idempotencyTable",
  "auditTable",
  "procureCoreSecretArn",
  "a55SecretArn",
  "clientsSecretArn",
  "cancelRequestedQueueUrl",
  "cancelRequestedDlqUrl",
  "cancelRequestedFailuresUrl",
  "expirySweepDlqUrl",
  "continuationDlqUrl",
  "deadLetterQueues",
  "alarmTopicArn",
  "dashboardName",
  "outboxRelayFailuresUrl",
];

/** ARNs the assertions below are written against, read from the evaluated graph. */
function arnsOf(s: Snapshot) {
  return {
    bus: arnOfRef(s, { kind: "bus" }),
    stream: arnOfRef(s, { kind: "stream", table: "audit" }),
    relayFailures: str(one(s, TYPES.queue, "OutboxRelayFailuresQueue"), "arn"),
    secret: (secret: "procure-core" | "a55" | "clients") => arnOfRef(s, { kind: "secret", secret }),
  };
}

/** Runs a bundled handler's import in a Lambda-like environment; returns typeof the export. */
async function probeHandler(bundle: string, exportName: string, environment: Record<string, string>) {
  const { stdout } = await run(
    process.execPath,
    [path.join(ROOT, "test/infra/probe-handler.ts"), bundle, exportName],
    {
      cwd: path.dirname(bundle),
      timeout: 30_000,
      env: {
        ...environment,
        PATH: process.env.PATH ?? "",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "mock",
        AWS_SECRET_ACCESS_KEY: "mock",
        AWS_LAMBDA_FUNCTION_NAME: "infra-check",
      },
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { type?: string; error?: string };
}

for (const stage of STAGES) {
  describe(`stage ${stage}`, () => {
    const production = stage === "production";
    test("evaluates cleanly: no program error, every RPC answered, every build succeeded", () => {
      const s = evaluated(stage);
      assert.deepEqual(s.errors, []);
      assert.deepEqual(s.unansweredRpc, []);
      assert.equal(s.app.stage, stage);
    });

    test("has exactly the manifest's functions, each built from its handler", () => {
      const s = snapshotOf(stage);
      assert.deepEqual(
        allOf(s, TYPES.function)
          .map((f) => f.name)
          .sort(),
        NAMES.map((name) => `${name}Function`).sort(),
      );
      assert.deepEqual(
        s.builds.map((b) => [b.functionID, b.handlerString]).sort(),
        FUNCTION_LIST.map((fn) => [fn.name, fn.handler]).sort(),
      );
    });

    for (const name of NAMES) {
      const spec = FUNCTIONS[name];
      const asyncRetries = spec.trigger.kind === "schedule" ? 0 : undefined;
      describe(name, () => {
        test("handler string resolves to an exported function", async () => {
          const s = snapshotOf(stage);
          const build = s.builds.find((b) => b.functionID === name);
          assert.ok(build, `no build for ${name}`);
          assert.deepEqual(build.errors, []);
          assert.equal(build.source, spec.handler.replace(/\.[^.]+$/, ".ts"));
          assert.ok(
            build.exports.includes(build.exportName),
            `${build.source} exports ${build.exports.join(", ")}`,
          );
          const fn = one(s, TYPES.function, `${name}Function`);
          assert.equal(fn.inputs.handler, build.handler);
          const probe = await probeHandler(build.bundle, build.exportName, environmentOf(fn));
          assert.deepEqual(probe, { type: "function" }, `importing ${build.bundle}`);
        });

        test(`runs nodejs22.x on arm64 with ${spec.memoryMb} MB and ${spec.timeoutSeconds} s`, () => {
          const fn = one(snapshotOf(stage), TYPES.function, `${name}Function`);
          assert.equal(fn.inputs.runtime, "nodejs22.x");
          assert.deepEqual(fn.inputs.architectures, ["arm64"]);
          assert.equal(fn.inputs.memorySize, spec.memoryMb);
          assert.equal(fn.inputs.timeout, spec.timeoutSeconds);
        });

        test("logs to its own log group, kept 1 month", () => {
          const s = snapshotOf(stage);
          const fn = one(s, TYPES.function, `${name}Function`);
          const logGroup = one(s, TYPES.logGroup, `${name}LogGroup`);
          assert.equal(logGroup.inputs.retentionInDays, 30);
          assert.equal((fn.inputs.loggingConfig as { logGroup: string }).logGroup, str(logGroup, "name"));
        });

        test("has exactly the environment its manifest entry says it uses, with this stack's names and ARNs", () => {
          const s = snapshotOf(stage);
          const env = environmentOf(one(s, TYPES.function, `${name}Function`));
          const own = Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("SST_")));
          assert.deepEqual(own, manifestEnvironment(s, name, stage));
          // The bus's name is the relay's alone: no function that cancels is given it.
          assert.equal("EVENT_BUS_NAME" in own, spec.composition === "relay", "EVENT_BUS_NAME");
        });

        test("its environment is a valid configuration for its composition root (functions/wiring/config.ts)", () => {
          const s = snapshotOf(stage);
          const env = environmentOf(one(s, TYPES.function, `${name}Function`));
          assert.doesNotThrow(() => (spec.composition === "relay" ? readRelayConfig(env) : readConfig(env)));
          // Only a function whose code sends to the work queue (its own, or the bus function's
          // for bulk items) is given that queue's URL.
          if (spec.composition === "service") {
            const work = triggerQueuesOf(FUNCTIONS.CancelRequested).work ?? "";
            const sends = spec.permissions.some(
              (p) =>
                p.resource.kind === "queue" &&
                p.resource.queue === work &&
                p.actions.includes("sqs:SendMessage"),
            );
            assert.equal(
              readConfig(env).cancelRequestedQueueUrl,
              sends ? str(queueResource(s, work), "url") : undefined,
            );
          }
        });

        test("role grants exactly the manifest's statements, with real ARNs and no wildcard", () => {
          const s = snapshotOf(stage);
          const role = one(s, TYPES.role, `${name}Role`);
          assert.deepEqual(grantsOf(role), manifestGrants(s, name));
          for (const statement of inlineStatements(role)) {
            assert.equal(statement.Effect, "Allow");
            for (const item of [...statement.Action, ...statement.Resource]) {
              assert.ok(!item.includes("*"), `wildcard in ${name}Role: ${item}`);
              assert.ok(item.length > 0 && !item.includes("undefined"), `unresolved in ${name}Role: ${item}`);
            }
            for (const resource of statement.Resource) assert.match(resource, /^arn:aws:/, `${name}Role`);
          }
          assert.deepEqual(role.inputs.managedPolicyArns, [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
          ]);
        });

        test("role can be assumed by Lambda only", () => {
          const role = one(snapshotOf(stage), TYPES.role, `${name}Role`);
          const trust = statementsOf(role.inputs.assumeRolePolicy);
          assert.deepEqual(
            trust.map((t: Statement) => [t.Effect, t.Action, t.Principal]),
            [["Allow", ["sts:AssumeRole"], { Service: "lambda.amazonaws.com" }]],
          );
        });

        test(
          asyncRetries === undefined
            ? "has no async invoke config (invoked synchronously)"
            : `retries async invocations ${asyncRetries} times`,
          () => {
            const configs = allOf(snapshotOf(stage), TYPES.invokeConfig).filter(
              (c) => c.name === `${name}EventInvokeConfig`,
            );
            if (asyncRetries === undefined) {
              assert.equal(configs.length, 0);
              return;
            }
            assert.equal(configs.length, 1);
            assert.equal(configs[0]?.inputs.maximumRetryAttempts, asyncRetries);
          },
        );
      });
    }

    describe("HTTP API", () => {
      test("has exactly the service's routes, all on the one HttpApi function", () => {
        const s = snapshotOf(stage);
        const routes = allOf(s, TYPES.route);
        assert.deepEqual(routes.map((r) => r.inputs.routeKey).sort(), [...ROUTES].sort());
        const fnArn = str(one(s, TYPES.function, "HttpApiFunction"), "arn");
        const apiId = one(s, TYPES.api, "ApiApi").id;
        for (const route of routes) {
          assert.equal(route.inputs.apiId, apiId);
          const integrationId = String(route.inputs.target).replace(/^integrations\//, "");
          const integration = allOf(s, TYPES.integration).find((i) => i.id === integrationId);
          assert.ok(integration, `route ${route.inputs.routeKey} targets ${route.inputs.target}`);
          assert.equal(integration.inputs.integrationType, "AWS_PROXY");
          assert.equal(integration.inputs.integrationUri, fnArn);
          assert.equal(integration.inputs.payloadFormatVersion, "2.0");
        }
        const invokers = allOf(s, TYPES.permission).filter(
          (p) => p.inputs.principal === "apigateway.amazonaws.com",
        );
        assert.equal(invokers.length, ROUTES.length);
        for (const p of invokers) assert.equal(p.inputs.function, fnArn);
      });

      test("keeps its access log 1 month", () => {
        assert.equal(one(snapshotOf(stage), TYPES.logGroup, "ApiAccessLog").inputs.retentionInDays, 30);
      });

      test("declares no route key ending in '/' (API Gateway HTTP APIs reject them)", () => {
        for (const route of allOf(snapshotOf(stage), TYPES.route)) {
          assert.ok(!String(route.inputs.routeKey).endsWith("/"), String(route.inputs.routeKey));
        }
      });
    });

    describe("schedule", () => {
      test("runs the sweep every 15 minutes with 2 retries and a DLQ the scheduler may write", () => {
        const s = snapshotOf(stage);
        const schedule = one(s, TYPES.schedule, "ExpirySweepScheduleSchedule");
        const target = schedule.inputs.target as Record<string, unknown>;
        const dlqArn = str(one(s, TYPES.queue, "ExpirySweepDlqQueue"), "arn");
        const fnArn = str(one(s, TYPES.function, "ExpirySweepFunction"), "arn");
        assert.equal(schedule.inputs.scheduleExpression, "rate(15 minutes)");
        assert.equal(schedule.inputs.state, "ENABLED");
        assert.equal(target.arn, fnArn);
        assert.deepEqual(target.retryPolicy, { maximumRetryAttempts: 2 });
        assert.deepEqual(target.deadLetterConfig, { arn: dlqArn });
        const role = one(s, TYPES.role, "ExpirySweepScheduleRole");
        assert.equal(target.roleArn, str(role, "arn"));
        assert.deepEqual(grantsOf(role), [
          `Allow lambda:InvokeFunction on ${fnArn}`,
          `Allow sqs:SendMessage on ${dlqArn}`,
        ]);
      });
    });

    describe("continuation", () => {
      test("runs every minute with 2 retries and a DLQ the scheduler may write", () => {
        const s = snapshotOf(stage);
        const schedule = one(s, TYPES.schedule, "ContinuationScheduleSchedule");
        const target = schedule.inputs.target as Record<string, unknown>;
        const dlqArn = str(one(s, TYPES.queue, "ContinuationDlqQueue"), "arn");
        const fnArn = str(one(s, TYPES.function, "ContinuationFunction"), "arn");
        assert.equal(schedule.inputs.scheduleExpression, "rate(1 minute)");
        assert.equal(schedule.inputs.state, "ENABLED");
        assert.equal(target.arn, fnArn);
        assert.deepEqual(target.retryPolicy, { maximumRetryAttempts: 2 });
        assert.deepEqual(target.deadLetterConfig, { arn: dlqArn });
        const role = one(s, TYPES.role, "ContinuationScheduleRole");
        assert.deepEqual(grantsOf(role), [
          `Allow lambda:InvokeFunction on ${fnArn}`,
          `Allow sqs:SendMessage on ${dlqArn}`,
        ]);
      });

      test("a run ends before the next one is due", () => {
        const fn = one(snapshotOf(stage), TYPES.function, "ContinuationFunction");
        assert.ok(Number(fn.inputs.timeout) < 60, `timeout ${String(fn.inputs.timeout)}`);
      });
    });

    describe("event bus and work queue", () => {
      const consumer = FUNCTIONS.CancelRequested.trigger;

      test("routes `Cancel Requested` to the work queue, with a retry policy and a DLQ for undeliverable events", () => {
        const s = snapshotOf(stage);
        const rule = one(s, TYPES.rule, "CancelRequestedRule");
        const target = one(s, TYPES.target, "CancelRequestedTarget");
        const busName = str(one(s, TYPES.bus, "CancellationBusBus"), "name");
        assert.deepEqual(JSON.parse(String(rule.inputs.eventPattern)), {
          "detail-type": ["Cancel Requested"],
        });
        assert.equal(rule.inputs.eventBusName, busName);
        assert.equal(rule.inputs.state ?? "ENABLED", "ENABLED");
        assert.equal(allOf(s, TYPES.rule).length, 1);
        assert.equal(target.inputs.arn, str(one(s, TYPES.queue, "CancelRequestedQueueQueue"), "arn"));
        assert.equal(target.inputs.rule, str(rule, "name"));
        assert.equal(target.inputs.eventBusName, busName);
        assert.deepEqual(target.inputs.retryPolicy, {
          maximumRetryAttempts: 10,
          maximumEventAgeInSeconds: 3600,
        });
        assert.deepEqual(target.inputs.deadLetterConfig, {
          arn: str(one(s, TYPES.queue, "CancelRequestedDlqQueue"), "arn"),
        });
        assert.deepEqual(
          allOf(s, TYPES.target).map((t) => t.name),
          ["CancelRequestedTarget"],
        );
      });

      test("lets only that rule send to the work queue and to its DLQ (one queue policy each)", () => {
        const s = snapshotOf(stage);
        const rule = one(s, TYPES.rule, "CancelRequestedRule");
        const policies = allOf(s, TYPES.queuePolicy);
        assert.equal(policies.length, 2);
        for (const name of ["CancelRequestedQueueQueue", "CancelRequestedDlqQueue"]) {
          const queue = one(s, TYPES.queue, name);
          const policy = policies.find((p) => p.inputs.queueUrl === str(queue, "url"));
          assert.ok(policy, `no policy on ${name}`);
          assert.deepEqual(
            statementsOf(policy.inputs.policy).map((st) => [
              st.Effect,
              st.Principal,
              st.Action,
              st.Resource,
              st.Condition,
            ]),
            [
              [
                "Allow",
                { Service: "events.amazonaws.com" },
                ["sqs:SendMessage"],
                [str(queue, "arn")],
                { ArnEquals: { "aws:SourceArn": str(rule, "arn") } },
              ],
            ],
            name,
          );
        }
      });

      test(`work queue: visibility timeout ≥ 6 × the function's timeout, dead-lettered after ${consumer.maxReceiveCount} receives`, () => {
        const s = snapshotOf(stage);
        const queue = one(s, TYPES.queue, "CancelRequestedQueueQueue");
        const fn = one(s, TYPES.function, "CancelRequestedFunction");
        const visibility = Number(queue.inputs.visibilityTimeoutSeconds);
        assert.equal(visibility, consumer.visibilityTimeoutSeconds);
        assert.ok(
          visibility >= 6 * Number(fn.inputs.timeout),
          `${visibility} s < 6 × ${fn.inputs.timeout} s`,
        );
        assert.equal(Number(fn.inputs.timeout), FUNCTIONS.CancelRequested.timeoutSeconds);
        assert.deepEqual(JSON.parse(String(queue.inputs.redrivePolicy)), {
          deadLetterTargetArn: str(one(s, TYPES.queue, "CancelRequestedFailuresQueue"), "arn"),
          maxReceiveCount: consumer.maxReceiveCount,
        });
        assert.equal(queue.inputs.sqsManagedSseEnabled, true);
      });

      test("an event source mapping drains the queue into CancelRequested: batch, bounded concurrency, partial batch responses", () => {
        const s = snapshotOf(stage);
        const mappings = allOf(s, TYPES.eventSourceMapping).filter((m) => !m.name.startsWith("OutboxRelay"));
        assert.equal(mappings.length, 1);
        const mapping = mappings[0];
        assert.ok(mapping);
        assert.equal(
          mapping.inputs.eventSourceArn,
          str(one(s, TYPES.queue, "CancelRequestedQueueQueue"), "arn"),
        );
        assert.equal(
          mapping.inputs.functionName,
          str(one(s, TYPES.function, "CancelRequestedFunction"), "arn"),
        );
        const settings = consumer.mapping;
        assert.equal(mapping.inputs.batchSize, settings.batchSize);
        assert.equal(mapping.inputs.maximumBatchingWindowInSeconds, settings.maximumBatchingWindowSeconds);
        assert.deepEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.deepEqual(mapping.inputs.scalingConfig, { maximumConcurrency: settings.maximumConcurrency });
        // Lambda's own bounds: max concurrency 2 to 1000; a standard queue takes up to 10 without a window.
        assert.ok(settings.maximumConcurrency >= 2 && settings.maximumConcurrency <= 1000);
        assert.ok(settings.batchSize >= 1 && settings.batchSize <= 10);
      });

      test("nothing invokes CancelRequested directly: no invoke permission, no async retries or on-failure destination", () => {
        const s = snapshotOf(stage);
        const fnArn = str(one(s, TYPES.function, "CancelRequestedFunction"), "arn");
        assert.deepEqual(
          allOf(s, TYPES.permission).filter((p) => p.inputs.function === fnArn),
          [],
        );
        assert.deepEqual(
          allOf(s, TYPES.invokeConfig).filter((c) => c.name === "CancelRequestedEventInvokeConfig"),
          [],
        );
      });

      test("has the queues the manifest's triggers own, and keeps dead letters for 14 days", () => {
        const s = snapshotOf(stage);
        const owned = FUNCTION_LIST.map(triggerQueuesOf);
        const deadLetters = owned.flatMap(({ failures, undelivered }) =>
          [undelivered, failures].filter((name): name is string => name !== undefined),
        );
        // Renaming one would replace a deployed queue (and lose what it holds): these stay.
        for (const name of [
          "CancelRequestedDlq",
          "CancelRequestedFailures",
          "ContinuationDlq",
          "ExpirySweepDlq",
          "OutboxRelayFailures",
        ]) {
          assert.ok(deadLetters.includes(name), name);
        }
        for (const name of deadLetters) {
          assert.equal(queueResource(s, name).inputs.messageRetentionSeconds, 14 * 24 * 3600, name);
        }
        assert.deepEqual(
          allOf(s, TYPES.queue)
            .map((q) => q.name)
            .sort(),
          owned
            .flatMap((queues) => Object.values(queues))
            .map((name) => `${name}Queue`)
            .sort(),
        );
      });
    });

    describe("outbox", () => {
      test("only the outbox relay may put events on the bus", () => {
        const s = snapshotOf(stage);
        const publishers = allOf(s, TYPES.role)
          .filter((role) =>
            inlineStatements(role).some((st) => st.Action.some((a) => a.startsWith("events:"))),
          )
          .map((role) => role.name);
        assert.deepEqual(publishers, ["OutboxRelayRole"]);
        assert.deepEqual(
          grantsOf(one(s, TYPES.role, "OutboxRelayRole")).filter((g) => g.includes("events:")),
          [`Allow events:PutEvents on ${arnsOf(s).bus}`],
        );
      });

      test("the audit table streams new images; the idempotency table streams nothing", () => {
        const s = snapshotOf(stage);
        const audit = one(s, TYPES.table, "AuditTableTable");
        assert.equal(audit.inputs.streamEnabled, true);
        assert.equal(audit.inputs.streamViewType, "NEW_IMAGE");
        assert.equal(auditTable.stream, "new-image");
        assert.equal(one(s, TYPES.table, "IdempotencyTableTable").inputs.streamEnabled, false);
      });

      test("the relay reads the audit stream: partial batch responses, bisect, bounded retries and age, a failure queue", () => {
        const s = snapshotOf(stage);
        const mappings = allOf(s, TYPES.eventSourceMapping).filter((m) => m.name.startsWith("OutboxRelay"));
        assert.deepEqual(
          mappings.map((m) => m.name),
          ["OutboxRelayStream"],
        );
        const mapping = mappings[0];
        assert.ok(mapping);
        const arns = arnsOf(s);
        assert.equal(mapping.inputs.eventSourceArn, arns.stream);
        assert.equal(mapping.inputs.functionName, str(one(s, TYPES.function, "OutboxRelayFunction"), "arn"));
        assert.equal(mapping.inputs.startingPosition, "TRIM_HORIZON");
        assert.equal(mapping.inputs.batchSize, 100);
        assert.equal(mapping.inputs.maximumBatchingWindowInSeconds, 0);
        assert.deepEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.equal(mapping.inputs.bisectBatchOnFunctionError, true);
        assert.equal(mapping.inputs.maximumRetryAttempts, 20);
        assert.equal(mapping.inputs.maximumRecordAgeInSeconds, 3600);
        assert.deepEqual(mapping.inputs.destinationConfig, {
          onFailure: { destinationArn: arns.relayFailures },
        });
        // The local stack emulates the mapping from the same settings.
        for (const [key, value] of Object.entries(FUNCTIONS.OutboxRelay.trigger.mapping)) {
          assert.deepEqual(mapping.inputs[key], value, key);
        }
      });
    });

    describe("tables", () => {
      test("idempotency table: pk/sk strings, TTL on expiresAt, index byNextCheck on dueKey/nextCheckAt (as table-definitions.ts)", () => {
        const table = one(snapshotOf(stage), TYPES.table, "IdempotencyTableTable");
        assert.equal(table.inputs.hashKey, "pk");
        assert.equal(table.inputs.rangeKey, "sk");
        assert.deepEqual(table.inputs.attributes, [
          { name: "pk", type: "S" },
          { name: "sk", type: "S" },
          { name: "dueKey", type: "S" },
          { name: "nextCheckAt", type: "N" },
        ]);
        assert.deepEqual(table.inputs.ttl, { attributeName: "expiresAt", enabled: true });
        assert.deepEqual(table.inputs.globalSecondaryIndexes, [
          { name: "byNextCheck", hashKey: "dueKey", rangeKey: "nextCheckAt", projectionType: "ALL" },
        ]);
        assert.equal(table.inputs.billingMode, "PAY_PER_REQUEST");
        // One source of truth: the same layout the adapters and DynamoDB Local use.
        assert.equal(table.inputs.hashKey, idempotencyTable.primaryIndex.hashKey);
        assert.equal(table.inputs.rangeKey, idempotencyTable.primaryIndex.rangeKey);
        assert.equal((table.inputs.ttl as { attributeName: string }).attributeName, idempotencyTable.ttl);
        const byNextCheck = idempotencyTable.globalIndexes.byNextCheck;
        assert.deepEqual([byNextCheck.hashKey, byNextCheck.rangeKey], ["dueKey", "nextCheckAt"]);
      });

      test("audit table: pk/sk strings, index byDay on gsi1pk/gsi1sk (as table-definitions.ts)", () => {
        const table = one(snapshotOf(stage), TYPES.table, "AuditTableTable");
        assert.equal(table.inputs.hashKey, "pk");
        assert.equal(table.inputs.rangeKey, "sk");
        assert.deepEqual(table.inputs.attributes, [
          { name: "pk", type: "S" },
          { name: "sk", type: "S" },
          { name: "gsi1pk", type: "S" },
          { name: "gsi1sk", type: "S" },
        ]);
        assert.deepEqual(table.inputs.globalSecondaryIndexes, [
          { name: "byDay", hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "ALL" },
        ]);
        assert.equal(table.inputs.ttl, undefined);
        const byDay = auditTable.globalIndexes.byDay;
        assert.deepEqual([byDay.hashKey, byDay.rangeKey], ["gsi1pk", "gsi1sk"]);
        assert.deepEqual(Object.keys(auditTable.fields).sort(), ["gsi1pk", "gsi1sk", "pk", "sk"]);
      });
    });

    describe("alarms", () => {
      const alarmsOf = (s: Snapshot) => allOf(s, MONITORING_TYPES.alarm);
      const dims = (alarm: { inputs: Record<string, unknown> }) =>
        (alarm.inputs.dimensions ?? {}) as Record<string, string>;

      test("each notifies the one alarm topic, on alarm and on recovery", () => {
        const s = snapshotOf(stage);
        const topics = allOf(s, MONITORING_TYPES.topic);
        assert.equal(topics.length, 1);
        const topicArn = str(topics[0] as (typeof topics)[number], "arn");
        assert.ok(alarmsOf(s).length > 0);
        for (const alarm of alarmsOf(s)) {
          assert.deepEqual(alarm.inputs.alarmActions, [topicArn], alarm.name);
          assert.deepEqual(alarm.inputs.okActions, [topicArn], alarm.name);
          assert.match(String(alarm.inputs.alarmDescription), /On call: /, alarm.name);
        }
        assert.equal(s.outputs.alarmTopicArn, topicArn);
      });

      test(production ? "email the stage's ALARM_EMAIL" : "email nobody on the ci stage", () => {
        const s = snapshotOf(stage);
        const subscriptions = allOf(s, MONITORING_TYPES.subscription);
        if (!production) {
          assert.deepEqual(subscriptions, []);
          return;
        }
        assert.deepEqual(
          subscriptions.map((sub) => [sub.inputs.protocol, sub.inputs.endpoint, sub.inputs.topic]),
          [["email", ALARM_EMAIL, str(one(s, MONITORING_TYPES.topic, "AlarmTopic"), "arn")]],
        );
      });

      test("every function has an alarm on its errors", () => {
        const s = snapshotOf(stage);
        const functions = allOf(s, TYPES.function);
        assert.ok(functions.length > 0);
        for (const fn of functions) {
          const found = alarmsOf(s).filter(
            (a) =>
              a.inputs.namespace === "AWS/Lambda" &&
              a.inputs.metricName === "Errors" &&
              dims(a).FunctionName === str(fn, "name"),
          );
          assert.equal(found.length, 1, `errors alarm of ${fn.name}`);
          assert.equal(found[0]?.inputs.threshold, 1);
          assert.equal(found[0]?.inputs.comparisonOperator, "GreaterThanOrEqualToThreshold");
        }
      });

      test("every queue has an alarm: any message visible in a dead-letter queue", () => {
        const s = snapshotOf(stage);
        const queues = allOf(s, TYPES.queue);
        assert.ok(queues.length > 0);
        for (const queue of queues) {
          const found = alarmsOf(s).filter((a) => dims(a).QueueName === str(queue, "name"));
          assert.equal(found.length, 1, `alarm of ${queue.name}`);
          const alarm = found[0] as (typeof found)[number];
          if (alarm.inputs.metricName === "ApproximateNumberOfMessagesVisible") {
            assert.deepEqual(
              [alarm.inputs.statistic, alarm.inputs.threshold, alarm.inputs.comparisonOperator],
              ["Maximum", 1, "GreaterThanOrEqualToThreshold"],
            );
          } else {
            assert.equal(
              alarm.inputs.metricName,
              "ApproximateAgeOfOldestMessage",
              `${queue.name}: a work queue`,
            );
          }
        }
      });

      test("every scheduled function alarms when it has not run for two of its periods (missing data breaching)", () => {
        const s = snapshotOf(stage);
        const schedules = allOf(s, TYPES.schedule);
        assert.ok(schedules.length > 0);
        for (const schedule of schedules) {
          const target = schedule.inputs.target as { arn: string };
          const fn = allOf(s, TYPES.function).find((f) => str(f, "arn") === target.arn);
          assert.ok(fn, `${schedule.name} targets a function of the graph`);
          const rate = /^rate\((\d+) minutes?\)$/.exec(String(schedule.inputs.scheduleExpression));
          assert.ok(rate, `${schedule.name} runs on a rate of minutes`);
          const found = alarmsOf(s).filter(
            (a) => a.inputs.metricName === "Invocations" && dims(a).FunctionName === str(fn, "name"),
          );
          assert.equal(found.length, 1, `not-running alarm of ${fn.name}`);
          const alarm = found[0] as (typeof found)[number];
          assert.deepEqual(
            [
              alarm.inputs.statistic,
              alarm.inputs.period,
              alarm.inputs.evaluationPeriods,
              alarm.inputs.datapointsToAlarm,
              alarm.inputs.threshold,
              alarm.inputs.comparisonOperator,
              alarm.inputs.treatMissingData,
            ],
            ["Sum", Number(rate[1]) * 60, 2, 2, 1, "LessThanThreshold", "breaching"],
          );
        }
      });

      test("every stream-fed function alarms on its iterator age", () => {
        const s = snapshotOf(stage);
        // A stream mapping has a starting position; a queue's does not (its age is the queue's alarm).
        const streamMappings = allOf(s, "aws:lambda/eventSourceMapping:EventSourceMapping").filter(
          (m) => m.inputs.startingPosition !== undefined,
        );
        assert.ok(streamMappings.length > 0);
        for (const mapping of streamMappings) {
          const name = String(mapping.inputs.functionName);
          const fn = allOf(s, TYPES.function).find((f) => str(f, "name") === name || str(f, "arn") === name);
          assert.ok(fn, `${mapping.name} feeds a function of the graph`);
          assert.ok(
            alarmsOf(s).some(
              (a) => a.inputs.metricName === "IteratorAge" && dims(a).FunctionName === str(fn, "name"),
            ),
            `iterator age alarm of ${fn.name}`,
          );
        }
      });

      test("every alarm names a metric that exists (emitted by the service, or AWS's of a resource of this stack)", () => {
        const s = snapshotOf(stage);
        for (const alarm of alarmsOf(s)) {
          const metrics = metricsOfAlarm(alarm);
          assert.ok(metrics.length > 0, `${alarm.name} reads no metric`);
          for (const metric of metrics) assert.equal(whyNotExisting(s, metric), undefined, alarm.name);
          assert.deepEqual(unknownExpressionIds(alarm), [], `${alarm.name}: metric math names unknown ids`);
        }
      });

      test("alarm on upstream 429s, refused credentials, STUCK cancellations, stuck bulk jobs, the outbox, and the API's 5xx rate", () => {
        const s = snapshotOf(stage);
        const read = alarmsOf(s).flatMap((alarm) =>
          metricsOfAlarm(alarm).map((m) => ({ alarm: alarm.name, ...m })),
        );
        const alarmOf = (metricName: string, where: Record<string, string> = {}) =>
          read
            .filter(
              (m) =>
                m.metricName === metricName &&
                Object.entries(where).every(([key, value]) => m.dimensions[key] === value),
            )
            .map((m) => m.alarm);
        for (const upstream of UPSTREAMS) {
          assert.deepEqual(alarmOf("UpstreamRateLimited", { upstream }), ["UpstreamRateLimitedAlarm"]);
        }
        for (const trigger of TRIGGERS) {
          assert.deepEqual(alarmOf("OperationalFailures", { trigger, problem: "credentials-refused" }), [
            "CredentialsRefusedAlarm",
          ]);
        }
        assert.deepEqual(alarmOf("CancellationsStuck"), ["CancellationsStuckAlarm"]);
        assert.deepEqual(alarmOf("BulkJobsStuck"), ["BulkJobsStuckAlarm"]);
        assert.deepEqual(alarmOf("OutboxPublishFailures"), ["OutboxPublishFailuresAlarm"]);
        assert.deepEqual(alarmOf("OutboxEventsShortened"), ["OutboxEventsShortenedAlarm"]);
        assert.deepEqual(alarmOf("OutboxLagMs"), ["OutboxLagAlarm"]);
        assert.deepEqual(alarmOf("5xx"), ["ApiServerErrorsAlarm"]);
        assert.deepEqual(alarmOf("Count"), ["ApiServerErrorsAlarm"]);
      });
    });

    describe("dashboard", () => {
      test("one dashboard, every metric of which exists", () => {
        const s = snapshotOf(stage);
        const dashboards = allOf(s, MONITORING_TYPES.dashboard);
        assert.equal(dashboards.length, 1);
        const dashboard = dashboards[0] as (typeof dashboards)[number];
        assert.equal(s.outputs.dashboardName, dashboard.inputs.dashboardName);
        for (const widget of metricsOfDashboard(dashboard)) {
          assert.ok(widget.metrics.length > 0, `${widget.title} shows nothing`);
          for (const metric of widget.metrics)
            assert.equal(whyNotExisting(s, metric), undefined, widget.title);
        }
      });

      test("shows cancels, refunds, latency, retries and 429s, budget, open and STUCK, dead letters, errors and durations", () => {
        const s = snapshotOf(stage);
        const widgets = metricsOfDashboard(one(s, MONITORING_TYPES.dashboard, "Dashboard"));
        const shows = (metricName: string, where: Record<string, string> = {}) =>
          widgets.some((w) =>
            w.metrics.some(
              (m) =>
                m.metricName === metricName &&
                Object.entries(where).every(([key, value]) => m.dimensions[key] === value),
            ),
          );
        for (const trigger of TRIGGERS)
          assert.ok(shows("Cancellations", { trigger, outcome: "REFUND_REQUIRED" }));
        for (const upstream of UPSTREAMS) {
          for (const metric of [
            "UpstreamCallLatency",
            "UpstreamAttemptLatency",
            "UpstreamRetries",
            "UpstreamRateLimited",
          ]) {
            assert.ok(shows(metric, { upstream }), `${metric} ${upstream}`);
          }
          assert.ok(
            shows("UpstreamBudgetTaken", { upstream }) && shows("UpstreamBudgetRefused", { upstream }),
          );
        }
        assert.ok(shows("CancellationsOpen") && shows("CancellationsStuck"));
        assert.ok(shows("BulkJobsActive") && shows("BulkJobsStuck") && shows("BulkItemsSent"));
        for (const queue of allOf(s, TYPES.queue)) {
          assert.ok(
            shows("ApproximateNumberOfMessagesVisible", { QueueName: str(queue, "name") }),
            queue.name,
          );
        }
        for (const fn of allOf(s, TYPES.function)) {
          assert.ok(shows("Errors", { FunctionName: str(fn, "name") }), `${fn.name} errors`);
          assert.ok(shows("Duration", { FunctionName: str(fn, "name") }), `${fn.name} durations`);
        }
      });

      test("shows every alarm's state", () => {
        const s = snapshotOf(stage);
        const body = JSON.parse(
          String(one(s, MONITORING_TYPES.dashboard, "Dashboard").inputs.dashboardBody),
        ) as {
          widgets: { type: string; properties: { alarms?: string[] } }[];
        };
        const shown = body.widgets
          .filter((w) => w.type === "alarm")
          .flatMap((w) => w.properties.alarms ?? []);
        assert.deepEqual(
          shown.sort(),
          alarmsOf(s)
            .map((a) => str(a, "arn"))
            .sort(),
        );
      });

      function alarmsOf(s: Snapshot) {
        return allOf(s, MONITORING_TYPES.alarm);
      }
    });

    test("tells cancelctl dlq each dead-letter queue, what it holds and where it redrives to", () => {
      const s = snapshotOf(stage);
      const listed = s.outputs.deadLetterQueues as {
        name: string;
        url: string;
        holds: string;
        redrive: unknown;
      }[];
      assert.deepEqual(parseDeadLetterQueues(listed).length, listed.length);
      const dlqUrls = allOf(s, MONITORING_TYPES.alarm)
        .filter((a) => a.inputs.metricName === "ApproximateNumberOfMessagesVisible")
        .map((a) => (a.inputs.dimensions as { QueueName: string }).QueueName)
        .map((name) =>
          str(allOf(s, TYPES.queue).find((q) => str(q, "name") === name) as ResourceRecord, "url"),
        );
      assert.deepEqual(listed.map((q) => q.url).sort(), dlqUrls.sort());
      const functionNames = allOf(s, TYPES.function).map((f) => str(f, "name"));
      for (const queue of listed) {
        const target = queue.redrive as { type: string; functionName?: string };
        if (target.functionName !== undefined)
          assert.ok(functionNames.includes(target.functionName), queue.name);
      }
    });

    describe("secrets", () => {
      test("three Secrets Manager secrets, named per stage", () => {
        const names = allOf(snapshotOf(stage), TYPES.secret).map((x) => x.inputs.name);
        assert.deepEqual(names.sort(), [
          `cancellation-service/${stage}/a55`,
          `cancellation-service/${stage}/clients`,
          `cancellation-service/${stage}/procure-core`,
        ]);
      });

      test("only the functions that need a secret may read it", () => {
        const s = snapshotOf(stage);
        const readers: Record<string, string[]> = {};
        for (const name of NAMES) {
          for (const statement of inlineStatements(one(s, TYPES.role, `${name}Role`))) {
            if (!statement.Action.some((a) => a.startsWith("secretsmanager:"))) continue;
            for (const resource of statement.Resource)
              readers[resource] = [...(readers[resource] ?? []), name];
          }
        }
        const arns = arnsOf(s);
        assert.deepEqual(readers, {
          [arns.secret("procure-core")]: ["HttpApi", "CancelRequested", "ExpirySweep", "Continuation"],
          // The sweep cancels intents only: it may not read A55's credentials.
          [arns.secret("a55")]: ["HttpApi", "CancelRequested", "Continuation"],
          [arns.secret("clients")]: ["HttpApi"],
        });
      });
    });

    test("exports the stack outputs", () => {
      const s = snapshotOf(stage);
      const { _protect, ...outputs } = s.outputs;
      assert.equal(_protect, stage === "production");
      assert.deepEqual(Object.keys(outputs).sort(), [...OUTPUTS].sort());
      const arns = arnsOf(s);
      assert.equal(outputs.eventBusName, str(one(s, TYPES.bus, "CancellationBusBus"), "name"));
      assert.equal(outputs.idempotencyTable, str(one(s, TYPES.table, "IdempotencyTableTable"), "name"));
      assert.equal(outputs.auditTable, str(one(s, TYPES.table, "AuditTableTable"), "name"));
      assert.equal(outputs.procureCoreSecretArn, arns.secret("procure-core"));
      assert.equal(outputs.a55SecretArn, arns.secret("a55"));
      assert.equal(outputs.clientsSecretArn, arns.secret("clients"));
      assert.equal(
        outputs.cancelRequestedQueueUrl,
        str(one(s, TYPES.queue, "CancelRequestedQueueQueue"), "url"),
      );
      assert.equal(outputs.cancelRequestedDlqUrl, str(one(s, TYPES.queue, "CancelRequestedDlqQueue"), "url"));
      assert.equal(
        outputs.cancelRequestedFailuresUrl,
        str(one(s, TYPES.queue, "CancelRequestedFailuresQueue"), "url"),
      );
      assert.equal(outputs.expirySweepDlqUrl, str(one(s, TYPES.queue, "ExpirySweepDlqQueue"), "url"));
      assert.equal(outputs.continuationDlqUrl, str(one(s, TYPES.queue, "ContinuationDlqQueue"), "url"));
      assert.equal(
        outputs.outboxRelayFailuresUrl,
        str(one(s, TYPES.queue, "OutboxRelayFailuresQueue"), "url"),
      );
      assert.match(String(outputs.apiUrl), /^https:\/\/.+\.execute-api\./);
    });

    test(production ? "is protected: protect, retain, deletion protection" : "is disposable", () => {
      const s = snapshotOf(stage);
      assert.equal(s.app.protect, production);
      assert.equal(s.app.removal, production ? "retain" : "remove");
      for (const table of allOf(s, TYPES.table)) {
        assert.equal(table.inputs.deletionProtectionEnabled, production, table.name);
        assert.equal(table.retainOnDelete, production, table.name);
      }
      for (const secret of allOf(s, TYPES.secret)) {
        assert.equal(secret.retainOnDelete, production, secret.name);
        assert.equal(secret.protect, production, secret.name);
        assert.equal(secret.inputs.recoveryWindowInDays, production ? 30 : 0, secret.name);
      }
    });
  });
}

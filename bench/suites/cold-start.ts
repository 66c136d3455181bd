/**
 * Suite 3 — cold start. The five functions bundled as deployed (esbuild, ESM,
 * `platform: node`, node22, minified, AWS SDK included, `module` first), then:
 *
 * - bundle size (target ≤ 300 KB each) and the heaviest packages (metafile); which
 *   bundles hold the EventBridge client (the outbox relay's alone: no cancel path publishes);
 * - module initialisation: `import()` of the bundle in a fresh Node 22 process
 *   (`process.execPath`), minus the same for an empty module, median of 20 (target ≤ 50 ms);
 *   all variants interleaved run by run so drift hits them alike;
 * - the same with one bundling option changed — code splitting (and no legal comments): the
 *   credential providers, STS/SSO clients and event-stream code the SDK loads with dynamic
 *   `import()` become chunks Lambda never evaluates unless they are needed. In one file,
 *   esbuild hoists those modules' imports of Node built-ins to the top, and the ESM import
 *   of `node:http` (needed only by the IMDS/container credential providers) makes Node
 *   build a facade that reads every export — its lazy WebSocket getters load Node's
 *   internal undici, ~30 ms of init (CPU profile);
 * - per-dependency probes (each bundled alone with code splitting, median of 10) saying
 *   where the init time that splitting leaves goes.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type BundleReport,
  bundle,
  contributors,
  FUNCTIONS,
  type FunctionName,
  importOnce,
  packageBytes,
  writeEmptyModule,
} from "../support/bundles.ts";
import { median } from "../support/stats.ts";
import { atMost, figure, type Metric, type SuiteRun } from "../support/suite.ts";

const RUNS = 20;
const PROBE_RUNS = 10;
const SIZE_TARGET_KB = 300;
const INIT_TARGET_MS = 50;
const OUT = path.join(tmpdir(), "cancellation-bench-bundles");

/** Where init time goes: each dependency group bundled alone, with the service code that uses it. */
const PROBES: Record<string, string> = {
  "AWS SDK DynamoDB client + DynamoDB adapters": [
    'export * from "#adapters/dynamo/idempotency-store.ts";',
    'export * from "#adapters/dynamo/audit-log.ts";',
    'export * from "#adapters/dynamo/cancellation-store.ts";',
    'export * from "#adapters/budget/shared-upstream-budget.ts";',
    'export { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
  ].join("\n"),
  "AWS SDK EventBridge client + publisher": [
    'export * from "#adapters/events/event-bridge-publisher.ts";',
    'export { EventBridgeClient } from "@aws-sdk/client-eventbridge";',
  ].join("\n"),
  "AWS SDK Secrets Manager client + provider": [
    'export * from "#adapters/secrets/secret-provider.ts";',
    'export { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";',
  ].join("\n"),
  "all three AWS SDK clients (shared @smithy code once)": [
    'export { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
    'export { EventBridgeClient } from "@aws-sdk/client-eventbridge";',
    'export { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";',
  ].join("\n"),
  "Powertools logger + metrics + middlewares": [
    'import { createLogger, createMetrics } from "#wiring/observability.ts";',
    'export { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";',
    'export { logMetrics } from "@aws-lambda-powertools/metrics/middleware";',
    "export const logger = createLogger();",
    "export const metrics = createMetrics();",
  ].join("\n"),
  "@middy/core": 'export { default } from "@middy/core";',
  "node:http by ESM import (what the single file does)": 'export { Agent } from "node:http";',
  "node:http by require":
    'import { createRequire } from "node:module";\nexport const { Agent } = createRequire(import.meta.url)("node:http");',
  "core + Procure-Core/A55 clients (valibot, uuid, ulid)": [
    'export * from "#core/cancel-intent.ts";',
    'export * from "#core/cancel-order.ts";',
    'export * from "#core/expiry-sweep.ts";',
    'export * from "#core/continuation.ts";',
    'export * from "#adapters/procure-core/procure-core-client.ts";',
    'export * from "#adapters/a55/a55-client.ts";',
    'export { monotonicFactory } from "ulid";',
    'export { v5 } from "uuid";',
  ].join("\n"),
};

const kib = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

export const run: SuiteRun = async ({ progress }) => {
  await rm(OUT, { recursive: true, force: true });
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  const splitOptions = {
    splitting: true,
    legalComments: "none",
    chunkNames: "chunks/[name]-[hash]",
  } as const;
  progress("bundling the five functions as deployed and with code splitting");
  const deployed = {} as Record<FunctionName, BundleReport>;
  const split = {} as Record<FunctionName, BundleReport>;
  for (const name of names) {
    deployed[name] = await bundle(name, { file: FUNCTIONS[name] }, path.join(OUT, "as-deployed"));
    split[name] = await bundle(name, { file: FUNCTIONS[name] }, path.join(OUT, "split", name), splitOptions);
  }
  const empty = await writeEmptyModule(OUT);

  progress(`timing module initialisation: ${RUNS} fresh processes per bundle, interleaved`);
  const targets: Record<string, string> = { empty };
  for (const name of names) {
    targets[`as-deployed ${name}`] = deployed[name].entry;
    targets[`split ${name}`] = split[name].entry;
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((key) => [key, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [key, file] of Object.entries(targets)) {
      const { ms, error } = await importOnce(file);
      if (error !== undefined || ms === undefined) throw new Error(`importing ${key} failed: ${error}`);
      samples[key]?.push(ms);
    }
  }
  const emptyMs = median(samples.empty ?? []);
  const initMs = (key: string): number => median(samples[key] ?? []) - emptyMs;

  progress("profiling: init time of each dependency group bundled alone (split)");
  const probeMs: Record<string, number> = {};
  const probeKb: Record<string, number> = {};
  const probeSamples: Record<string, number[]> = {};
  const probeFiles: Record<string, string> = {};
  let probeIndex = 0;
  for (const [label, contents] of Object.entries(PROBES)) {
    const probe = `probe-${++probeIndex}`;
    const report = await bundle(probe, { contents }, path.join(OUT, "probes", probe), splitOptions);
    probeFiles[label] = report.entry;
    probeKb[label] = kib(report.initBytes);
    probeSamples[label] = [];
  }
  const probeEmpty: number[] = [];
  for (let i = 0; i < PROBE_RUNS; i++) {
    probeEmpty.push((await importOnce(empty)).ms ?? Number.NaN);
    for (const [label, file] of Object.entries(probeFiles)) {
      probeSamples[label]?.push((await importOnce(file)).ms ?? Number.NaN);
    }
  }
  for (const [label, list] of Object.entries(probeSamples)) {
    probeMs[label] = Math.round((median(list) - median(probeEmpty)) * 10) / 10;
  }

  const metrics: Metric[] = [figure("empty module import (baseline, subtracted)", emptyMs, "ms", 2)];
  const eventBridgeKiB = Object.fromEntries(
    names.map((name) => [name, kib(packageBytes(deployed[name].metafile, "@aws-sdk/client-eventbridge"))]),
  ) as Record<FunctionName, number>;
  for (const name of names) {
    const expected = name === "outbox-relay" ? "yes" : "no";
    const holds = eventBridgeKiB[name] > 0 ? "yes" : "no";
    metrics.push({
      name: `${name}: holds the EventBridge client (KiB of it)`,
      value: `${holds} (${eventBridgeKiB[name]})`,
      target: `= ${expected}`,
      met: holds === expected,
    });
  }
  for (const name of names) {
    metrics.push(
      atMost(`${name}: bundle size`, kib(deployed[name].totalBytes), SIZE_TARGET_KB, "KiB"),
      atMost(`${name}: module init`, initMs(`as-deployed ${name}`), INIT_TARGET_MS, "ms"),
    );
  }
  for (const name of names) {
    metrics.push(
      atMost(`${name} (split): size on disk`, kib(split[name].totalBytes), SIZE_TARGET_KB, "KiB"),
      figure(`${name} (split): loaded at init`, kib(split[name].initBytes), "KiB"),
      atMost(`${name} (split): module init`, initMs(`split ${name}`), INIT_TARGET_MS, "ms"),
    );
  }

  const heaviest = contributors(deployed["http-api"].metafile, 15).map((c) => ({
    what: c.what,
    kib: kib(c.bytes),
  }));
  const notes: string[] = [];
  if (names.some((name) => kib(deployed[name].totalBytes) > SIZE_TARGET_KB)) {
    notes.push(
      `cold-start size: heaviest in http-api (metafile, KiB): ${heaviest
        .slice(0, 8)
        .map((c) => `${c.what} ${c.kib}`)
        .join(", ")}`,
    );
  }
  if (names.some((name) => initMs(`as-deployed ${name}`) > INIT_TARGET_MS)) {
    const average = (key: string) =>
      Math.round(names.reduce((sum, name) => sum + initMs(`${key} ${name}`), 0) / names.length);
    notes.push(
      `cold-start init: ${average("as-deployed")} ms as one file vs ${average("split")} ms with splitting. ` +
        "One file hoists the import of node:http that only the lazily loaded IMDS/container credential providers need; " +
        `an ESM import of node:http costs ${probeMs["node:http by ESM import (what the single file does)"]} ms ` +
        `(its facade reads the lazy WebSocket getters, loading Node's undici) vs ${probeMs["node:http by require"]} ms by require`,
    );
  }
  if (names.some((name) => initMs(`split ${name}`) > INIT_TARGET_MS)) {
    notes.push(
      `cold-start init: each dependency group bundled alone with splitting (ms over empty): ${Object.entries(
        probeMs,
      )
        .map(([label, ms]) => `${label} ${ms}`)
        .join("; ")}`,
    );
  }
  return {
    metrics,
    notes,
    details: {
      runs: RUNS,
      method: "median import() time in a fresh process minus that of an empty module",
      options: {
        deployed:
          "bundle, esm, platform node, target node22, minify, mainFields [module, main], AWS SDK bundled",
        split: "the same plus splitting: true, legalComments: none",
      },
      createRequireBannerNeeded: Object.fromEntries(names.map((name) => [name, deployed[name].banner])),
      emptyImportMs: emptyMs,
      bundles: Object.fromEntries(
        names.map((name) => [
          name,
          {
            deployedKiB: kib(deployed[name].totalBytes),
            deployedInitMs: Math.round(initMs(`as-deployed ${name}`) * 10) / 10,
            splitTotalKiB: kib(split[name].totalBytes),
            splitFiles: split[name].files,
            splitLoadedAtInitKiB: kib(split[name].initBytes),
            splitInitMs: Math.round(initMs(`split ${name}`) * 10) / 10,
          },
        ]),
      ),
      heaviestPackagesHttpApiKiB: heaviest,
      eventBridgeClientKiB: eventBridgeKiB,
      initProbesMs: probeMs,
      initProbesLoadedAtInitKiB: probeKb,
      rawImportMs: samples,
    },
  };
};

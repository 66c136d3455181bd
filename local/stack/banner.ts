/**
 * What `npm start` prints once everything answers: what runs where, and how to try it.
 * The last line is {@link READY_LINE}, which scripts and the smoke test wait for.
 */
import path from "node:path";
import type { LocalFunctionSpec } from "./lambda/local-function.ts";
import type { LocalSettings } from "./settings.ts";
import { loopbackUrl } from "./settings.ts";

export const READY_LINE = "cancellation-service is ready. Ctrl-C stops everything.";

export interface BannerFacts {
  settings: LocalSettings;
  functions: readonly LocalFunctionSpec[];
  secretsFile: string;
  clientEnvFile: string;
  createdCredentials: boolean;
  createdTables: string[];
  cwd: string;
}

const DEMO_WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const DEMO_CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

/** The banner text. */
export const bannerText = (facts: BannerFacts): string => {
  const { settings } = facts;
  const api = loopbackUrl(settings.ports.http);
  const shown = (file: string): string => {
    const relative = path.relative(facts.cwd, file);
    return relative.startsWith("..") ? file : relative;
  };
  const clientEnv = shown(facts.clientEnvFile);
  const every = (ms: number): string => (ms > 0 ? `every ${Math.round(ms / 1000)} s` : "timer off");
  const triggerOf = (fn: LocalFunctionSpec): string => {
    const { trigger } = fn;
    if (trigger.kind === "http") return `API Gateway v2 events from ${api}`;
    if (trigger.kind === "sqs") {
      const rule = trigger.busRule ? `${trigger.busRule} → ` : "";
      return `${rule}queue ${trigger.queue} (batch ${trigger.mapping.batchSize}, max concurrency ${trigger.mapping.maximumConcurrency}, DLQ after ${trigger.maxReceiveCount} receives)`;
    }
    if (trigger.kind === "schedule")
      return `${every(trigger.everyMs)}; POST ${api}${trigger.route} runs it now`;
    return `DynamoDB stream of the ${trigger.table} table`;
  };
  const functionLines = facts.functions.flatMap((fn) => [
    `  ${fn.name.padEnd(17)}${fn.handler.replace(/\.[^.]+$/, ".ts")}, ${fn.workers} container${fn.workers === 1 ? "" : "s"}, ${fn.timeoutSeconds} s`,
    `  ${"".padEnd(17)}${triggerOf(fn)}`,
  ]);
  const storage = settings.inMemory
    ? "in memory (--in-memory)"
    : `data in ${shown(path.join(settings.stateDir, "dynamodb"))}`;
  const lines = [
    "",
    "cancellation-service, local stack (no AWS account needed)",
    "",
    `  HTTP API         ${api}`,
    `  bus              ${api}/events   POST PutEvents JSON; GET lists published events, queues, dead letters`,
    `  SQS              ${api} (X-Amz-Target: AmazonSQS.*)   the local queues, for the AWS SDK and cancelctl`,
    "",
    "Functions (each in its own containers, one invocation at a time each, as on Lambda):",
    ...functionLines,
    "",
    `  DynamoDB Local   ${loopbackUrl(settings.ports.dynamodb)}   ${storage}`,
    `  Procure-Core     ${loopbackUrl(settings.ports.procureCore)}   sandbox, demo intents (intent_67890, intent_processing, …)`,
    `  A55              ${loopbackUrl(settings.ports.a55)}   sandbox, demo charges in wallet ${DEMO_WALLET}`,
    `  secrets          ${shown(facts.secretsFile)}${facts.createdCredentials ? " (new)" : ""}`,
    `  client           ${clientEnv}   CANCEL_API_URL, APP_ID, APP_SECRET, A55_ACCESS_TOKEN, A55_API_URL`,
    ...(facts.createdTables.length > 0 ? [`  tables created   ${facts.createdTables.join(", ")}`] : []),
    "",
    "Try it:",
    "  npx cancelctl intent cancel intent_67890 --reason 'customer changed their mind'",
    `  npx cancelctl charge cancel ${DEMO_CHARGE} ${DEMO_WALLET}`,
    "  npx cancelctl order cancel order-1001 --intent intent_processing",
    "  npx cancelctl audit intent intent_67890",
    "  npx cancelctl sweep --dry-run",
    "",
    `  set -a; . ${clientEnv}; set +a`,
    `  curl -s -X POST "$A55_API_URL/api/v1/bank/wallet/charge/${DEMO_CHARGE}/cancel/${DEMO_WALLET}/" \\`,
    '    -H "Authorization: Bearer $A55_ACCESS_TOKEN" -H "Content-Type: application/json" \\',
    `    -H "Idempotency-Key: $(node -p 'crypto.randomUUID()')" -d '{"reason": "customer asked"}'`,
    `  curl -s -X POST ${api}/events -d '{"Entries":[{"Source":"storefront.orders","DetailType":"Cancel Requested",` +
      `"Detail":"{\\"target\\":{\\"type\\":\\"intent\\",\\"id\\":\\"intent_processing\\"}}"}]}'`,
    `  curl -s ${api}/events`,
    `  curl -sN -X POST ${api}/sweep -d '{"dryRun": true}'`,
    "",
    READY_LINE,
    "",
  ];
  return lines.join("\n");
};

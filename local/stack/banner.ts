/**
 * What `npm start` prints once everything answers: what runs where, and how to try it.
 * The last line is {@link READY_LINE}, which scripts and the smoke test wait for.
 */
import path from "node:path";
import type { LocalSettings } from "./settings.ts";
import { loopbackUrl } from "./settings.ts";

export const READY_LINE = "cancellation-service is ready. Ctrl-C stops everything.";

export interface BannerFacts {
  settings: LocalSettings;
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
  const sweepEvery =
    settings.sweepIntervalMs > 0 ? `every ${Math.round(settings.sweepIntervalMs / 1000)} s` : "timer off";
  const storage = settings.inMemory
    ? "in memory (--in-memory)"
    : `data in ${shown(path.join(settings.stateDir, "dynamodb"))}`;
  const lines = [
    "",
    "cancellation-service, local stack (no AWS account needed)",
    "",
    `  HTTP API         ${api}   API Gateway v2 events → functions/handlers/http-api.ts`,
    `  bus              ${api}/events   POST PutEvents JSON; GET lists published events and dead letters`,
    `                   Cancel Requested → functions/handlers/cancel-requested.ts`,
    `  sweep            ${sweepEvery}; POST ${api}/sweep to run it now → functions/handlers/expiry-sweep.ts`,
    "  outbox relay     audit table's stream → functions/handlers/outbox-relay.ts → bus (failures: GET /events)",
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

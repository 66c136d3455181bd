/**
 * What the cold-start suite bundles: every function of the manifest
 * (functions/manifest/function-manifest.ts), and for each a reference bundle holding only
 * the AWS SDK clients its first request must load — read from the function's permissions,
 * so a new function (or a new permission) brings its own reference:
 *
 * - a DynamoDB action → `@aws-sdk/client-dynamodb` (the service uses no lib-dynamodb);
 * - `secretsmanager:GetSecretValue` → `@aws-sdk/client-secrets-manager`;
 * - `events:PutEvents` → `@aws-sdk/client-eventbridge` (the relay's only work);
 * - `sqs:SendMessage` → nothing: the bus function sends a copy only for a rate-limited or
 *   last-receive message, so its SQS client is loaded on that first send, not at init.
 *
 * The function's init is then measured as a ratio to its reference's, in the same run.
 *
 * Beside it, "init + first request": module init plus the modules a function loads on first
 * use (`import()`: functions/wiring/load-on-first-use.ts) that its first request, as named
 * below, loads too. Whatever init saves by loading a module on first use shows there when the
 * first request needs it: nothing is merely moved out of the measured init unseen. The
 * request named is the heaviest of a function's usual first requests, not the lightest.
 */
import { FUNCTION_LIST } from "#manifest/function-manifest.ts";
import type { FunctionDefinition } from "#manifest/manifest-types.ts";

/** The SDK client a permission's service prefix makes a function load at init (undefined: loaded when first used). */
const CLIENT_AT_INIT: Record<string, { module: string; client: string } | undefined> = {
  dynamodb: { module: "@aws-sdk/client-dynamodb", client: "DynamoDBClient" },
  secretsmanager: { module: "@aws-sdk/client-secrets-manager", client: "SecretsManagerClient" },
  events: { module: "@aws-sdk/client-eventbridge", client: "EventBridgeClient" },
  sqs: undefined,
};

/** What each function's first request loads on first use: the request, and the modules reached through `import()`. */
const FIRST_REQUEST: Record<string, { request: string; loads: string[] } | undefined> = {
  "http-api": {
    request: "an order cancel with a charge (A55)",
    loads: ["functions/wiring/a55-charges.ts"],
  },
  "cancel-requested": {
    request: "a Cancel Requested event for an order with a charge (A55)",
    loads: ["functions/wiring/a55-charges.ts"],
  },
  "expiry-sweep": { request: "a sweep cancelling expired intents (Procure-Core only)", loads: [] },
  continuation: {
    request: "a run finishing a charge cancel (A55) and sending a due bulk job's items (SQS)",
    loads: ["functions/wiring/a55-charges.ts", "functions/wiring/bulk-work-queue.ts"],
  },
  "outbox-relay": { request: "a batch of outcome events published (EventBridge)", loads: [] },
};

export interface ColdStartTarget {
  /** The handler file's name, e.g. `http-api`. */
  name: string;
  /** The handler file, relative to the repository. */
  file: string;
  /** Names the reference, e.g. `DynamoDBClient + SecretsManagerClient`. */
  referenceName: string;
  /** Source of the reference bundle's entry. */
  referenceSource: string;
  /** The first request measured with init, and the modules it loads on first use (repository paths). */
  firstRequest: { request: string; loads: string[] };
}

/** `functions/handlers/http-api.handler` → `functions/handlers/http-api.ts`. */
const handlerFile = (handler: string): string => `${handler.slice(0, handler.lastIndexOf("."))}.ts`;

const clientsOf = (definition: FunctionDefinition): { module: string; client: string }[] => {
  const prefixes = new Set(
    definition.permissions.flatMap((permission) => permission.actions.map((action) => action.split(":")[0])),
  );
  const clients: { module: string; client: string }[] = [];
  for (const prefix of prefixes) {
    if (prefix === undefined) continue;
    if (!(prefix in CLIENT_AT_INIT)) {
      throw new Error(`cold-start: no reference client for the ${prefix}:* permission of ${definition.name}`);
    }
    const client = CLIENT_AT_INIT[prefix];
    if (client) clients.push(client);
  }
  return clients.sort((a, b) => a.client.localeCompare(b.client));
};

export const coldStartTargets = (): ColdStartTarget[] =>
  FUNCTION_LIST.map((definition) => {
    const file = handlerFile(definition.handler);
    const clients = clientsOf(definition);
    const name = file.slice(file.lastIndexOf("/") + 1, -".ts".length);
    const firstRequest = FIRST_REQUEST[name];
    if (!firstRequest) {
      throw new Error(`cold-start: say what the first request of ${name} loads on first use (FIRST_REQUEST)`);
    }
    return {
      name,
      file,
      referenceName: clients.map((c) => c.client).join(" + ") || "nothing (empty module)",
      referenceSource:
        clients.map((c) => `export { ${c.client} } from "${c.module}";`).join("\n") || "export {};",
      firstRequest,
    };
  });

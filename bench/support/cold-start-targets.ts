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

export interface ColdStartTarget {
  /** The handler file's name, e.g. `http-api`. */
  name: string;
  /** The handler file, relative to the repository. */
  file: string;
  /** Names the reference, e.g. `DynamoDBClient + SecretsManagerClient`. */
  referenceName: string;
  /** Source of the reference bundle's entry. */
  referenceSource: string;
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
    return {
      name: file.slice(file.lastIndexOf("/") + 1, -".ts".length),
      file,
      referenceName: clients.map((c) => c.client).join(" + ") || "nothing (empty module)",
      referenceSource:
        clients.map((c) => `export { ${c.client} } from "${c.module}";`).join("\n") || "export {};",
    };
  });

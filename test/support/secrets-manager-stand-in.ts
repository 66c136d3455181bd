/**
 * A Secrets Manager for tests that read secrets the way deployed functions do (by ARN,
 * through `GetSecretValue`): a client whose last middleware answers from the handler kit's
 * secrets file instead of sending anything, behind the role guard of one function, so a
 * secret its manifest entry does not grant is refused as AWS refuses it. It records which
 * secrets it served.
 */
import { readFile } from "node:fs/promises";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { FunctionName } from "#manifest/function-manifest.ts";
import type { SecretName } from "#manifest/manifest-types.ts";
import { guardClient } from "./role-guard.ts";

/** The ARN a test's secret goes by (Secrets Manager appends six random characters to a name). */
export const testSecretArn = (secret: SecretName): string =>
  `arn:aws:secretsmanager:us-east-1:000000000000:secret:cancellation-service/test/${secret}-AbCdEf`;

const SECRETS: readonly SecretName[] = ["procure-core", "a55", "clients"];

export interface SecretsManagerStandIn {
  client: SecretsManagerClient;
  /** The secrets served, in order (a cached one is not asked for again). */
  served: SecretName[];
}

export const secretsManagerStandIn = (secretsFile: string, as: FunctionName): SecretsManagerStandIn => {
  const byArn = Object.fromEntries(SECRETS.map((secret) => [testSecretArn(secret), secret]));
  const served: SecretName[] = [];
  const client = new SecretsManagerClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  guardClient(client, "secretsmanager", { as, names: { secrets: byArn } });
  client.middlewareStack.add(
    () => async (args) => {
      const id = String((args.input as { SecretId?: string }).SecretId);
      const secret = byArn[id];
      if (secret === undefined) throw new Error(`the stand-in has no secret ${id}`);
      const values = JSON.parse(await readFile(secretsFile, "utf8")) as Record<string, unknown>;
      served.push(secret);
      return {
        output: { $metadata: {}, ARN: id, Name: secret, SecretString: JSON.stringify(values[secret]) },
        response: {},
      } as never;
    },
    { step: "initialize", priority: "low", name: "secretsManagerStandIn" },
  );
  return { client, served };
};

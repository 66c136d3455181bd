import {
  SECRET_NAMES,
  type SecretName,
  secretNamingOf,
} from "../functions/adapters/upstreams/upstream-registry.ts";
import { isProduction } from "./settings.ts";

/**
 * The service's JSON credentials (shapes: docs/deploy.md, "Set and rotate the secrets") in
 * Secrets Manager (not `sst.Secret`, which is SSM-based): one per upstream of the registry
 * and the inbound callers' `clients`. Every name a secret goes by (its Secrets Manager name,
 * logical name, ARN variable, output) is derived from its one name
 * (functions/adapters/upstreams/upstream-registry.ts), so the deployed names cannot drift
 * from what the functions read. Who may read which is the function manifest's to say: a
 * function whose entry grants `secretsmanager:GetSecretValue` on one gets that ARN's
 * statement and its ARN variable (permissions.ts, environment.ts), and nothing else.
 */
export function createSecrets(): Record<SecretName, aws.secretsmanager.Secret> {
  return Object.fromEntries(SECRET_NAMES.map((name) => [name, createSecret(name)])) as Record<
    SecretName,
    aws.secretsmanager.Secret
  >;
}

export type Secrets = ReturnType<typeof createSecrets>;

/** The stack outputs naming each secret's ARN (`procureCoreSecretArn`, …, `clientsSecretArn`). */
export function secretArnOutputs(secrets: Secrets): Record<string, $util.Output<string>> {
  return Object.fromEntries(SECRET_NAMES.map((name) => [secretNamingOf(name).output, secrets[name].arn]));
}

function createSecret(secretName: SecretName) {
  const { name, component } = secretNamingOf(secretName);
  const production = isProduction();
  return new aws.secretsmanager.Secret(
    `${component}Value`,
    {
      name: `${$app.name}/${$app.stage}/${name}`,
      description: `cancellation-service ${name} credentials (JSON shapes in docs/deploy.md, "Set and rotate the secrets")`,
      // A disposable stage must be re-creatable under the same name right after `sst remove`.
      recoveryWindowInDays: production ? 30 : 0,
    },
    // Secrets are set by hand: losing production ones is an outage, so they outlive the stack.
    { retainOnDelete: production, protect: production },
  );
}

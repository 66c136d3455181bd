import type { SecretName } from "../functions/manifest/manifest-types.ts";
import { isProduction } from "./settings.ts";

/**
 * The three JSON credentials (shapes: docs/deploy.md, "Set and rotate the secrets") in Secrets
 * Manager (not `sst.Secret`, which is SSM-based), by the names the service knows them by. Who
 * may read which is the function manifest's to say: a function whose entry grants
 * `secretsmanager:GetSecretValue` on one gets that ARN's statement and its ARN variable
 * (permissions.ts, environment.ts), and nothing else.
 */
export function createSecrets(): Record<SecretName, aws.secretsmanager.Secret> {
  return {
    "procure-core": createSecret("ProcureCoreSecret", "procure-core"),
    a55: createSecret("A55Secret", "a55"),
    clients: createSecret("ClientsSecret", "clients"),
  };
}

export type Secrets = ReturnType<typeof createSecrets>;

function createSecret(name: string, suffix: SecretName) {
  const production = isProduction();
  return new aws.secretsmanager.Secret(
    `${name}Value`,
    {
      name: `${$app.name}/${$app.stage}/${suffix}`,
      description: `cancellation-service ${suffix} credentials (JSON shapes in docs/deploy.md, "Set and rotate the secrets")`,
      // A disposable stage must be re-creatable under the same name right after `sst remove`.
      recoveryWindowInDays: production ? 30 : 0,
    },
    // Secrets are set by hand: losing production ones is an outage, so they outlive the stack.
    { retainOnDelete: production, protect: production },
  );
}

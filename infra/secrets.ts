import { isProduction } from "./settings.ts";

/**
 * The three JSON credentials of docs/deploy.md ("Set and rotate the secrets"), in Secrets Manager (not `sst.Secret`,
 * which is SSM-based). Each is wrapped in a Linkable so that linking it to a function grants
 * `secretsmanager:GetSecretValue` on that one ARN and sets its ARN variable, and nothing else:
 * who may read what is decided by the `link` lists in api.ts, bus.ts and schedule.ts.
 */
export function createSecrets() {
  return {
    procureCore: createSecret("ProcureCoreSecret", "procure-core", "PROCURE_CORE_SECRET_ARN"),
    a55: createSecret("A55Secret", "a55", "A55_SECRET_ARN"),
    clients: createSecret("ClientsSecret", "clients", "CLIENTS_SECRET_ARN"),
  };
}

export type Secrets = ReturnType<typeof createSecrets>;

function createSecret(name: string, suffix: string, envName: string) {
  const production = isProduction();
  const secret = new aws.secretsmanager.Secret(
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
  const link = new sst.Linkable(name, {
    properties: { arn: secret.arn, name: secret.name },
    include: [
      sst.aws.permission({ actions: ["secretsmanager:GetSecretValue"], resources: [secret.arn] }),
      sst.env({ [envName]: secret.arn }),
    ],
  });
  return { secret, link };
}

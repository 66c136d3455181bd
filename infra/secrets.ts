import {
  type SecretName,
  secretNamingOf,
  UPSTREAM_NAMES,
} from "../functions/adapters/upstreams/upstream-registry.ts";
import type { UpstreamName } from "../functions/core/errors.ts";
import { isProduction } from "./settings.ts";

/**
 * The service's JSON credentials in Secrets Manager (not `sst.Secret`, which is SSM-based):
 * one per upstream of the registry, and the inbound callers' `clients`. Every name a secret
 * goes by (its Secrets Manager name, ARN variable, logical names, output) is derived from its
 * one name (upstream-registry.ts), so the deployed names cannot drift from what the functions
 * read. Each is wrapped in a Linkable so that linking it to a function grants
 * `secretsmanager:GetSecretValue` on that one ARN and sets its ARN variable, and nothing else:
 * who may read what is decided by the `link` lists in api.ts, bus.ts, schedule.ts and continuation.ts.
 */
export function createSecrets() {
  return {
    upstreams: Object.fromEntries(UPSTREAM_NAMES.map((name) => [name, createSecret(name)])) as Record<
      UpstreamName,
      SecretResources
    >,
    clients: createSecret("clients"),
  };
}

export type Secrets = ReturnType<typeof createSecrets>;
type SecretResources = ReturnType<typeof createSecret>;

/** What every function that calls the upstreams is linked to: each upstream's secret. */
export function upstreamSecretLinks(secrets: Secrets) {
  return UPSTREAM_NAMES.map((name) => secrets.upstreams[name].link);
}

/** The stack outputs naming each secret's ARN (`procureCoreSecretArn`, …, `clientsSecretArn`). */
export function secretArnOutputs(secrets: Secrets) {
  const all: [SecretName, SecretResources][] = [
    ...UPSTREAM_NAMES.map((name): [SecretName, SecretResources] => [name, secrets.upstreams[name]]),
    ["clients", secrets.clients],
  ];
  return Object.fromEntries(all.map(([name, { secret }]) => [secretNamingOf(name).output, secret.arn]));
}

function createSecret(secretName: SecretName) {
  const { name, component, arnVariable } = secretNamingOf(secretName);
  const production = isProduction();
  const secret = new aws.secretsmanager.Secret(
    `${component}Value`,
    {
      name: `${$app.name}/${$app.stage}/${name}`,
      description: `cancellation-service ${name} credentials (JSON shapes in the README, "Configuration")`,
      // A disposable stage must be re-creatable under the same name right after `sst remove`.
      recoveryWindowInDays: production ? 30 : 0,
    },
    // Secrets are set by hand: losing production ones is an outage, so they outlive the stack.
    { retainOnDelete: production, protect: production },
  );
  const link = new sst.Linkable(component, {
    properties: { arn: secret.arn, name: secret.name },
    include: [
      sst.aws.permission({ actions: ["secretsmanager:GetSecretValue"], resources: [secret.arn] }),
      sst.env({ [arnVariable]: secret.arn }),
    ],
  });
  return { secret, link };
}

/**
 * The local stack's credentials, made on the first run and kept in the state directory:
 *
 * - `secrets.json`: the service's three secrets in the `SECRETS_FILE` format (the service's
 *   own upstream credentials for the two sandboxes, and the inbound clients it accepts);
 * - `client.env`: what a caller needs (`cancelctl`, curl, a script written against the seed
 *   docs), including the inbound bearer token in clear (secrets.json holds its SHA-256 only).
 *
 * Every secret is random, so no two checkouts share one. Later runs reuse them and only
 * refresh the URLs, which follow the configured ports. Both files are readable by the owner only.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual, parseEnv } from "node:util";

/** The app id of the seed's examples, used both upstream and by the local client. */
export const LOCAL_APP_ID = "dev_app_local";
/** Wallets the local client's bearer token may act on: the seed's demo wallet and the sandbox's other one. */
export const LOCAL_CLIENT_WALLETS = [
  "f47ac10b-58cc-4372-a567-0e02b2c3d479",
  "0ddba110-0000-4000-8000-000000000000",
] as const;
export const LOCAL_CLIENT_TOKEN_ID = "local-client";

/**
 * What the local app may do (docs/security.md): everything the tours show — cancel intents,
 * charges and orders in the local wallets, submit, read and stop bulk jobs
 * (docs/bulk-cancellations.md), and the operator's reads (another client's trail: the bearer
 * token's charges; the report; what is open).
 */
export const LOCAL_APP_GRANTS = {
  intents: "write",
  charges: "write",
  orders: "write",
  bulk: "write",
  operator: "read",
  wallets: [...LOCAL_CLIENT_WALLETS],
} as const;

/** The local app's grants as first runs wrote them before bulk jobs: a state directory that still has them gets LOCAL_APP_GRANTS. */
const PRE_BULK_APP_GRANTS = {
  intents: "write",
  charges: "write",
  orders: "write",
  operator: "read",
  wallets: [...LOCAL_CLIENT_WALLETS],
};

/** What the local bearer token may do: cancel charges in the local wallets, as the seed's client does. */
export const LOCAL_TOKEN_GRANTS = { charges: "write", wallets: [...LOCAL_CLIENT_WALLETS] } as const;

export interface LocalUrls {
  api: string;
  procureCore: string;
  a55: string;
}

export interface LocalCredentials {
  /** The service's credentials at the sandboxes. */
  upstream: { appId: string; appSecret: string; a55AccessToken: string };
  /** The local caller's credentials at the service. */
  client: { appId: string; appSecret: string; accessToken: string };
}

export interface LocalState {
  credentials: LocalCredentials;
  secretsFile: string;
  clientEnvFile: string;
  /** True when this run made the credentials. */
  created: boolean;
}

interface SecretsDocument {
  "procure-core": { baseUrl: string; appId: string; appSecret: string };
  a55: { baseUrl: string; accessToken: string };
  clients: {
    apps: Record<string, { secrets: string[]; grants?: unknown }>;
    tokens: { id: string; sha256: string; grants?: unknown; wallets?: string[] }[];
  };
  [other: string]: unknown;
}

const randomSecret = (): string => randomBytes(32).toString("base64url");

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The `SECRETS_FILE` document for a set of credentials. */
export const secretsDocument = (credentials: LocalCredentials, urls: LocalUrls): SecretsDocument => ({
  "procure-core": {
    baseUrl: urls.procureCore,
    appId: credentials.upstream.appId,
    appSecret: credentials.upstream.appSecret,
  },
  a55: { baseUrl: urls.a55, accessToken: credentials.upstream.a55AccessToken },
  clients: {
    apps: {
      [credentials.client.appId]: { secrets: [credentials.client.appSecret], grants: LOCAL_APP_GRANTS },
    },
    tokens: [
      {
        id: LOCAL_CLIENT_TOKEN_ID,
        sha256: sha256Hex(credentials.client.accessToken),
        grants: LOCAL_TOKEN_GRANTS,
      },
    ],
  },
});

/** The `client.env` text for a set of credentials. */
export const clientEnvText = (credentials: LocalCredentials, urls: LocalUrls): string =>
  [
    "# Written by `npm start`: the local caller's credentials for cancellation-service.",
    "# cancelctl reads this file; in a shell: set -a; . .local/client.env; set +a",
    `CANCEL_API_URL=${urls.api}`,
    `APP_ID=${credentials.client.appId}`,
    `APP_SECRET=${credentials.client.appSecret}`,
    "# The seed-001 client's names: the bearer token and the base URL (the service, not A55).",
    `A55_ACCESS_TOKEN=${credentials.client.accessToken}`,
    `A55_API_URL=${urls.api}`,
    "",
  ].join("\n");

const writePrivate = (file: string, text: string): void => {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode otherwise
};

/** The credentials in existing files, or undefined when they are missing or do not fit together. */
const readExisting = (secretsFile: string, clientEnvFile: string): SecretsDocument | undefined => {
  if (!existsSync(secretsFile) || !existsSync(clientEnvFile)) return undefined;
  try {
    return JSON.parse(readFileSync(secretsFile, "utf8")) as SecretsDocument;
  } catch {
    return undefined;
  }
};

const credentialsOf = (
  document: SecretsDocument,
  clientEnv: NodeJS.Dict<string>,
): LocalCredentials | undefined => {
  const appId = clientEnv.APP_ID;
  const appSecret = clientEnv.APP_SECRET;
  const accessToken = clientEnv.A55_ACCESS_TOKEN;
  const upstream = document["procure-core"];
  const a55 = document.a55;
  if (!appId || !appSecret || !accessToken || !upstream?.appId || !upstream.appSecret || !a55?.accessToken) {
    return undefined;
  }
  // The client file must still match the secrets the service accepts.
  const app = document.clients?.apps?.[appId];
  const token = document.clients?.tokens?.find((t) => t.sha256 === sha256Hex(accessToken));
  if (!app?.secrets?.includes(appSecret) || token === undefined) return undefined;
  return {
    upstream: { appId: upstream.appId, appSecret: upstream.appSecret, a55AccessToken: a55.accessToken },
    client: { appId, appSecret, accessToken },
  };
};

/**
 * The clients of a state directory made before grants (or before bulk jobs), with the local
 * app and token given the grants the tours need; entries a developer added or changed keep
 * what they say (the service refuses one without a grant, naming it).
 */
const withLocalGrants = (
  clients: SecretsDocument["clients"],
  credentials: LocalCredentials,
): SecretsDocument["clients"] => {
  const app = clients.apps[credentials.client.appId];
  const tokenHash = sha256Hex(credentials.client.accessToken);
  return {
    ...clients,
    apps: {
      ...clients.apps,
      ...(app &&
        (app.grants === undefined || isDeepStrictEqual(app.grants, PRE_BULK_APP_GRANTS)) && {
          [credentials.client.appId]: { ...app, grants: LOCAL_APP_GRANTS },
        }),
    },
    tokens: clients.tokens.map((token) =>
      token.sha256 === tokenHash && token.grants === undefined
        ? { id: token.id, sha256: token.sha256, grants: LOCAL_TOKEN_GRANTS }
        : token,
    ),
  };
};

/**
 * Makes the credentials on the first run, reuses them afterwards.
 *
 * Reuse keeps every field of secrets.json (a developer may add apps or tokens) and only
 * points the base URLs at the current ports (and gives the local client the grants it
 * needs, if its files were made before grants). Files that are missing, unreadable or no
 * longer match each other are replaced by fresh ones.
 */
export const prepareLocalState = (stateDir: string, urls: LocalUrls): LocalState => {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secretsFile = path.join(stateDir, "secrets.json");
  const clientEnvFile = path.join(stateDir, "client.env");

  const existing = readExisting(secretsFile, clientEnvFile);
  const reused = existing && credentialsOf(existing, parseEnv(readFileSync(clientEnvFile, "utf8")));
  if (existing && reused) {
    const refreshed: SecretsDocument = {
      ...existing,
      "procure-core": { ...existing["procure-core"], baseUrl: urls.procureCore },
      a55: { ...existing.a55, baseUrl: urls.a55 },
      clients: withLocalGrants(existing.clients, reused),
    };
    if (JSON.stringify(refreshed) !== JSON.stringify(existing)) {
      writePrivate(secretsFile, `${JSON.stringify(refreshed, null, 2)}\n`);
    }
    writePrivate(clientEnvFile, clientEnvText(reused, urls));
    return { credentials: reused, secretsFile, clientEnvFile, created: false };
  }

  const credentials: LocalCredentials = {
    upstream: { appId: LOCAL_APP_ID, appSecret: randomSecret(), a55AccessToken: randomSecret() },
    client: { appId: LOCAL_APP_ID, appSecret: randomSecret(), accessToken: randomSecret() },
  };
  writePrivate(secretsFile, `${JSON.stringify(secretsDocument(credentials, urls), null, 2)}\n`);
  writePrivate(clientEnvFile, clientEnvText(credentials, urls));
  return { credentials, secretsFile, clientEnvFile, created: true };
};

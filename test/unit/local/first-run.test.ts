import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { a55Upstream } from "#adapters/a55/a55-upstream.ts";
import { procureCoreUpstream } from "#adapters/procure-core/procure-core-upstream.ts";
import { clientsSecretSchema, parseSecret } from "#adapters/secrets/secret-shapes.ts";
import { NO_GRANT } from "#core/grants.ts";
import {
  LOCAL_APP_GRANTS,
  LOCAL_APP_ID,
  LOCAL_CLIENT_WALLETS,
  LOCAL_TOKEN_GRANTS,
  prepareLocalState,
  sha256Hex,
} from "#local/stack/first-run.ts";
import { parseJavaMajor } from "#local/stack/preflight.ts";
import { readLocalSettings, SettingsError } from "#local/stack/settings.ts";

const URLS = {
  api: "http://127.0.0.1:3000",
  procureCore: "http://127.0.0.1:4010",
  a55: "http://127.0.0.1:4020",
};

describe("prepareLocalState", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "cancel-local-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a secrets file the service's own schemas accept, and a matching client.env", () => {
    // Act
    const state = prepareLocalState(dir, URLS);

    // Assess
    const secrets = JSON.parse(readFileSync(state.secretsFile, "utf8"));
    const procureCore = parseSecret(
      "procure-core",
      procureCoreUpstream.secretSchema,
      secrets["procure-core"],
    );
    const a55 = parseSecret("a55", a55Upstream.secretSchema, secrets.a55);
    const clients = parseSecret("clients", clientsSecretSchema, secrets.clients);
    const env = parseEnv(readFileSync(state.clientEnvFile, "utf8"));

    expect(state.created).toBe(true);
    expect(procureCore).toEqual({
      baseUrl: URLS.procureCore,
      appId: LOCAL_APP_ID,
      appSecret: state.credentials.upstream.appSecret,
    });
    expect(a55).toEqual({ baseUrl: URLS.a55, accessToken: state.credentials.upstream.a55AccessToken });
    expect(env).toEqual({
      CANCEL_API_URL: URLS.api,
      APP_ID: LOCAL_APP_ID,
      APP_SECRET: state.credentials.client.appSecret,
      A55_ACCESS_TOKEN: state.credentials.client.accessToken,
      A55_API_URL: URLS.api,
    });
    expect(clients.apps[LOCAL_APP_ID]?.secrets).toEqual([env.APP_SECRET]);
    expect(clients.apps[LOCAL_APP_ID]?.grant).toEqual({
      intents: "write",
      charges: "write",
      orders: "write",
      operator: "read",
      // The bulk tour (docs/bulk-cancellations.md) submits and stops jobs as this app.
      bulk: "write",
      wallets: [...LOCAL_CLIENT_WALLETS],
    });
    expect(clients.tokens).toEqual([
      {
        id: "local-client",
        sha256: sha256Hex(env.A55_ACCESS_TOKEN ?? ""),
        grant: { ...NO_GRANT, charges: "write", wallets: [...LOCAL_CLIENT_WALLETS] },
      },
    ]);
    // The service's upstream secret is not the caller's: they are different parties.
    expect(state.credentials.upstream.appSecret).not.toBe(state.credentials.client.appSecret);
    expect(statSync(state.secretsFile).mode & 0o777).toBe(0o600);
    expect(statSync(state.clientEnvFile).mode & 0o777).toBe(0o600);
  });

  it("reuses the credentials on a later run and points the URLs at the new ports", () => {
    const first = prepareLocalState(dir, URLS);
    const moved = {
      api: "http://127.0.0.1:13000",
      procureCore: "http://127.0.0.1:14010",
      a55: "http://127.0.0.1:14020",
    };

    const second = prepareLocalState(dir, moved);

    expect(second.created).toBe(false);
    expect(second.credentials).toEqual(first.credentials);
    const secrets = JSON.parse(readFileSync(second.secretsFile, "utf8"));
    expect(secrets["procure-core"].baseUrl).toBe(moved.procureCore);
    expect(secrets.a55.baseUrl).toBe(moved.a55);
    expect(parseEnv(readFileSync(second.clientEnvFile, "utf8")).CANCEL_API_URL).toBe(moved.api);
  });

  it("gives the local client of a state directory made before grants its grants, and leaves other clients as they are", () => {
    // Prepare: the files as a run before grants wrote them, plus an app a developer added
    const first = prepareLocalState(dir, URLS);
    const written = JSON.parse(readFileSync(first.secretsFile, "utf8"));
    written.clients.apps[LOCAL_APP_ID] = { secrets: [first.credentials.client.appSecret] };
    written.clients.apps.mine = { secrets: ["x"] };
    written.clients.tokens = [
      {
        id: "local-client",
        sha256: sha256Hex(first.credentials.client.accessToken),
        wallets: [...LOCAL_CLIENT_WALLETS],
      },
    ];
    writeFileSync(first.secretsFile, JSON.stringify(written));

    // Act
    const second = prepareLocalState(dir, URLS);

    // Assess
    expect(second.created).toBe(false);
    const { clients } = JSON.parse(readFileSync(second.secretsFile, "utf8"));
    expect(clients.apps[LOCAL_APP_ID].grants).toEqual(LOCAL_APP_GRANTS);
    expect(clients.apps.mine).toEqual({ secrets: ["x"] });
    expect(clients.tokens).toEqual([
      {
        id: "local-client",
        sha256: sha256Hex(first.credentials.client.accessToken),
        grants: LOCAL_TOKEN_GRANTS,
      },
    ]);
  });

  it("gives the local app of a state directory made before bulk jobs the bulk grant, and leaves a grant a developer changed as it is", () => {
    // Prepare: the local app's grants as first runs wrote them before bulk jobs
    const first = prepareLocalState(dir, URLS);
    const { bulk: _bulk, ...preBulk } = LOCAL_APP_GRANTS;
    const withAppGrants = (grants: unknown) => {
      const written = JSON.parse(readFileSync(first.secretsFile, "utf8"));
      written.clients.apps[LOCAL_APP_ID].grants = grants;
      writeFileSync(first.secretsFile, JSON.stringify(written));
    };
    const appGrantsAfterStart = () =>
      JSON.parse(readFileSync(prepareLocalState(dir, URLS).secretsFile, "utf8")).clients.apps[LOCAL_APP_ID]
        .grants;

    // Act, assess: the pre-bulk grants are upgraded; a narrowed one is the developer's
    withAppGrants(preBulk);
    expect(appGrantsAfterStart()).toEqual(LOCAL_APP_GRANTS);
    withAppGrants({ ...preBulk, charges: "none" });
    expect(appGrantsAfterStart()).toEqual({ ...preBulk, charges: "none" });
  });

  it("makes fresh credentials when client.env no longer matches secrets.json", () => {
    const first = prepareLocalState(dir, URLS);
    writeFileSync(
      first.clientEnvFile,
      "CANCEL_API_URL=http://127.0.0.1:3000\nAPP_ID=dev_app_local\nAPP_SECRET=edited\n",
    );

    const second = prepareLocalState(dir, URLS);

    expect(second.created).toBe(true);
    expect(second.credentials.client.appSecret).not.toBe(first.credentials.client.appSecret);
  });
});

describe("parseJavaMajor", () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "11.0.2-ea"', 11],
  ])("reads %s as %i", (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });

  it("returns undefined for output without a version", () => {
    expect(parseJavaMajor("command not found")).toBeUndefined();
  });
});

describe("readLocalSettings", () => {
  it("defaults to the documented ports and the repository's .local", () => {
    const settings = readLocalSettings({}, { inMemory: false });

    expect(settings.ports).toEqual({ http: 3000, dynamodb: 8000, procureCore: 4010, a55: 4020 });
    expect(path.basename(settings.stateDir)).toBe(".local");
    expect(settings.sweepIntervalMs).toBe(60_000);
    expect(settings.workers).toEqual({});
    expect(settings.queueVisibilitySeconds).toBeUndefined();
  });

  it("takes ports, state directory and timer from the environment", () => {
    const settings = readLocalSettings(
      {
        CANCEL_LOCAL_DIR: "/tmp/x",
        CANCEL_LOCAL_HTTP_PORT: "13000",
        CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS: "0",
        CANCEL_LOCAL_WORKERS: "http-api=8, cancel-requested=2",
        CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS: "30",
      },
      { inMemory: true },
    );

    expect(settings.stateDir).toBe("/tmp/x");
    expect(settings.ports.http).toBe(13000);
    expect(settings.sweepIntervalMs).toBe(0);
    expect(settings.workers).toEqual({ "http-api": 8, "cancel-requested": 2 });
    expect(settings.queueVisibilitySeconds).toBe(30);
    expect(settings.inMemory).toBe(true);
  });

  it("refuses malformed container counts and visibility timeouts, naming the variable", () => {
    for (const workers of ["http-api", "http-api=0", "http-api=65", "Http=2"]) {
      expect(() => readLocalSettings({ CANCEL_LOCAL_WORKERS: workers }, { inMemory: false })).toThrow(
        /CANCEL_LOCAL_WORKERS/,
      );
    }
    expect(() =>
      readLocalSettings({ CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS: "-1" }, { inMemory: false }),
    ).toThrow(/CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS/);
  });

  it("refuses a malformed port and two services on one port", () => {
    expect(() => readLocalSettings({ CANCEL_LOCAL_A55_PORT: "http" }, { inMemory: false })).toThrow(
      SettingsError,
    );
    expect(() => readLocalSettings({ CANCEL_LOCAL_A55_PORT: "3000" }, { inMemory: false })).toThrow(
      /own port/,
    );
  });
});

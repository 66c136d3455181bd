import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { a55SecretSchema } from "#adapters/a55/a55-upstream.ts";
import { procureCoreSecretSchema } from "#adapters/procure-core/procure-core-upstream.ts";
import { InvalidSecretError, SecretUnavailableError } from "#adapters/secrets/secret-errors.ts";
import {
  createCachedSecretProvider,
  createFileSecretProvider,
  createSecretsManagerProvider,
  DEFAULT_SECRET_TTL_MS,
} from "#adapters/secrets/secret-provider.ts";
import { ConfigurationError, StoreUnavailableError } from "#core/errors.ts";

const SECRET_VALUE = "app-secret-DO-NOT-LEAK";
const secretOne = { baseUrl: "https://pc.example", appId: "app", appSecret: SECRET_VALUE };
const secretTwo = { baseUrl: "https://pc.example", appId: "app", appSecret: "rotated-secret" };

/** A promise resolved from outside, to hold a fetch in flight. */
const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/** Lets every already-queued promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const allText = (error: Error): string =>
  [error.message, error.cause instanceof Error ? error.cause.message : "", JSON.stringify(error)].join("\n");

describe("createSecretsManagerProvider", () => {
  const client = new SecretsManagerClient({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const sm = mockClient(client);
  let clock = 0;
  const now = () => clock;

  const provider = (options: { ttlMs?: number; minRefreshIntervalMs?: number } = {}) =>
    createSecretsManagerProvider({
      client,
      secretId: "arn:aws:secretsmanager:us-east-1:123:secret:procure-core",
      name: "procure-core",
      schema: procureCoreSecretSchema,
      now,
      ...options,
    });
  const calls = () => sm.commandCalls(GetSecretValueCommand).length;

  beforeEach(() => {
    sm.reset();
    clock = 1_000_000;
  });

  it("fetches once and serves many gets from the cache", async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secretOne) });
    const secrets = provider();
    // Act
    const values = [];
    for (let i = 0; i < 5; i += 1) {
      values.push(await secrets.get());
      clock += 1_000;
    }
    // Assess
    expect(values).toEqual(Array(5).fill(secretOne));
    expect(calls()).toBe(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: "arn:aws:secretsmanager:us-east-1:123:secret:procure-core",
    });
  });

  it("fetches again once the TTL has passed", async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secretOne) })
      .resolves({ SecretString: JSON.stringify(secretTwo) });
    const secrets = provider();

    expect(await secrets.get()).toEqual(secretOne);
    clock += DEFAULT_SECRET_TTL_MS - 1;
    expect(await secrets.get()).toEqual(secretOne);
    expect(calls()).toBe(1);

    clock += 1;
    expect(await secrets.get()).toEqual(secretTwo);
    expect(calls()).toBe(2);
  });

  it("honours a custom ttlMs", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secretOne) });
    const secrets = provider({ ttlMs: 10 });
    await secrets.get();
    clock += 10;
    await secrets.get();
    expect(calls()).toBe(2);
  });

  it("sends exactly one GetSecretValue for 20 concurrent callers", async () => {
    // Prepare: the fetch stays in flight until every caller has asked.
    const gate = deferred<void>();
    sm.on(GetSecretValueCommand).callsFake(async () => {
      await gate.promise;
      return { SecretString: JSON.stringify(secretOne) };
    });
    const secrets = provider();
    // Act
    const pending = Array.from({ length: 20 }, () => secrets.get());
    await settle();
    gate.resolve();
    const values = await Promise.all(pending);
    // Assess
    expect(calls()).toBe(1);
    expect(values).toEqual(Array(20).fill(secretOne));
  });

  it("refresh() fetches anew within the TTL and serves the new value afterwards", async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secretOne) })
      .resolves({ SecretString: JSON.stringify(secretTwo) });
    const secrets = provider();
    expect(await secrets.get()).toEqual(secretOne);
    clock += 5_000;

    expect(await secrets.refresh()).toEqual(secretTwo);
    expect(calls()).toBe(2);
    expect(await secrets.get()).toEqual(secretTwo);
    expect(calls()).toBe(2);
  });

  it("refresh() right after a fetch reuses it (at most one forced fetch per interval)", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secretOne) });
    const secrets = provider({ minRefreshIntervalMs: 1_000 });
    await secrets.get();
    clock += 999;
    await Promise.all(Array.from({ length: 50 }, () => secrets.refresh()));
    expect(calls()).toBe(1);

    clock += 1;
    await secrets.refresh();
    expect(calls()).toBe(2);
  });

  it("20 concurrent refreshes share one fetch", async () => {
    const gate = deferred<void>();
    sm.on(GetSecretValueCommand).callsFake(async () => {
      await gate.promise;
      return { SecretString: JSON.stringify(secretTwo) };
    });
    const secrets = provider();
    const pending = Array.from({ length: 20 }, () => secrets.refresh());
    await settle();
    gate.resolve();
    expect(await Promise.all(pending)).toEqual(Array(20).fill(secretTwo));
    expect(calls()).toBe(1);
  });

  it("a refresh while an older fetch is in flight waits for it, then shares one follow-up fetch", async () => {
    // Prepare: a get() starts a fetch that hangs; refreshes arrive after the interval.
    const first = deferred<void>();
    let call = 0;
    sm.on(GetSecretValueCommand).callsFake(async () => {
      call += 1;
      if (call === 1) {
        await first.promise;
        return { SecretString: JSON.stringify(secretOne) };
      }
      return { SecretString: JSON.stringify(secretTwo) };
    });
    const secrets = provider({ minRefreshIntervalMs: 1_000 });
    const getting = secrets.get();
    await settle();
    clock += 2_000;
    // Act
    const refreshing = Array.from({ length: 10 }, () => secrets.refresh());
    await settle();
    expect(calls()).toBe(1);
    first.resolve();
    // Assess: the get sees the older value; every refresh sees a value fetched after it asked.
    expect(await getting).toEqual(secretOne);
    expect(await Promise.all(refreshing)).toEqual(Array(10).fill(secretTwo));
    expect(calls()).toBe(2);
  });

  it("a refresh joins a fetch that started within the interval", async () => {
    const gate = deferred<void>();
    sm.on(GetSecretValueCommand).callsFake(async () => {
      await gate.promise;
      return { SecretString: JSON.stringify(secretOne) };
    });
    const secrets = provider({ minRefreshIntervalMs: 1_000 });
    const getting = secrets.get();
    clock += 500;
    const refreshing = secrets.refresh();
    gate.resolve();
    expect(await Promise.all([getting, refreshing])).toEqual([secretOne, secretOne]);
    expect(calls()).toBe(1);
  });

  it("malformed JSON is a ConfigurationError naming the secret, never the value", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `{"appSecret": "${SECRET_VALUE}", oops}` });
    const error = await provider()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe('secret "procure-core": the SecretString is not valid JSON');
    expect(allText(error as Error)).not.toContain(SECRET_VALUE);
    expect((error as Error).cause).toBeUndefined();
  });

  it("a value of the wrong shape names the field, never the value", async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ baseUrl: "https://pc.example", appId: SECRET_VALUE, appSecret: 7 }),
    });
    const error = await provider()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretError);
    expect((error as Error).message).toBe('secret "procure-core": field "appSecret" must be string');
    expect(allText(error as Error)).not.toContain(SECRET_VALUE);
  });

  it("a binary secret is a ConfigurationError", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const error = await provider()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      'secret "procure-core" has no SecretString (binary secrets are not supported)',
    );
  });

  it("an unreachable Secrets Manager is a transient SecretUnavailableError with its cause, not cached", async () => {
    // Prepare
    const outage = new InternalServiceError({ $metadata: {}, message: "internal error" });
    sm.on(GetSecretValueCommand)
      .rejectsOnce(outage)
      .resolves({ SecretString: JSON.stringify(secretOne) });
    const secrets = provider();
    // Act
    const error = await secrets.get().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).not.toBeInstanceOf(ConfigurationError);
    expect((error as SecretUnavailableError).secret).toBe("procure-core");
    expect((error as SecretUnavailableError).retryable).toBe(true);
    expect((error as Error).cause).toBe(outage);
    expect(await secrets.get()).toEqual(secretOne);
    expect(calls()).toBe(2);
  });

  it("a missing secret is a ConfigurationError, not transient", async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ $metadata: {}, message: "not found" }),
    );
    const error = await provider()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).not.toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).message).toContain("ResourceNotFoundException");
  });

  it("a failed refresh keeps the cached value for get()", async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secretOne) })
      .rejects(new InternalServiceError({ $metadata: {}, message: "down" }));
    const secrets = provider();
    await secrets.get();
    clock += 5_000;
    await expect(secrets.refresh()).rejects.toBeInstanceOf(SecretUnavailableError);
    expect(await secrets.get()).toEqual(secretOne);
  });
});

describe("createCachedSecretProvider", () => {
  it("does not let a failed fetch poison later calls", async () => {
    let attempt = 0;
    const secrets = createCachedSecretProvider(async () => {
      attempt += 1;
      if (attempt === 1) throw new SecretUnavailableError("x", "down");
      return "value";
    });
    await expect(secrets.get()).rejects.toBeInstanceOf(SecretUnavailableError);
    expect(await secrets.get()).toBe("value");
  });
});

describe("createFileSecretProvider", () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "secrets-"));
    path = join(dir, "secrets.json");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = (content: unknown) =>
    writeFile(path, typeof content === "string" ? content : JSON.stringify(content), "utf8");
  const a55 = () => createFileSecretProvider({ path, key: "a55", name: "a55", schema: a55SecretSchema });

  it("reads its key, caches it, and re-reads the file on refresh", async () => {
    // Prepare
    await write({
      "procure-core": secretOne,
      a55: { baseUrl: "http://127.0.0.1:4020", accessToken: "token-1" },
      clients: { apps: {}, tokens: [] },
    });
    const secrets = a55();
    // Act + Assess
    expect(await secrets.get()).toEqual({ baseUrl: "http://127.0.0.1:4020", accessToken: "token-1" });
    await write({ a55: { baseUrl: "http://127.0.0.1:4020", accessToken: "token-2" } });
    expect(await secrets.get()).toEqual({ baseUrl: "http://127.0.0.1:4020", accessToken: "token-1" });
    expect(await secrets.refresh()).toEqual({ baseUrl: "http://127.0.0.1:4020", accessToken: "token-2" });
    expect(await secrets.get()).toEqual({ baseUrl: "http://127.0.0.1:4020", accessToken: "token-2" });
  });

  it("a missing file is a ConfigurationError naming the path", async () => {
    const error = await a55()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`secret "a55": secrets file ${path} cannot be read (ENOENT)`);
  });

  it("a missing key is a ConfigurationError naming the key", async () => {
    await write({ "procure-core": secretOne });
    await expect(a55().get()).rejects.toThrow(`secret "a55": secrets file ${path} has no key "a55"`);
  });

  it("malformed JSON names the file, never its content", async () => {
    await write(`{"a55": {"accessToken": "${SECRET_VALUE}",}`);
    const error = await a55()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretError);
    expect((error as Error).message).toBe(`secret "a55": secrets file ${path} is not valid JSON`);
    expect(allText(error as Error)).not.toContain(SECRET_VALUE);
  });

  it("a value of the wrong shape names the field", async () => {
    await write({ a55: { baseUrl: "http://127.0.0.1:4020", clientId: "c", clientSecret: SECRET_VALUE } });
    const error = await a55()
      .get()
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('secret "a55": field "tokenUrl" is missing');
    expect(allText(error as Error)).not.toContain(SECRET_VALUE);
  });
});

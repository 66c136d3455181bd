/**
 * Secret providers: one JSON secret, checked against its schema, cached per container.
 *
 * Not built on `@aws-lambda-powertools/parameters`: its provider caches with `maxAge` and
 * can `forceFetch`, but concurrent callers each send their own GetSecretValue (no
 * single-flight), its clock cannot be injected, and its errors carry the transform error's
 * text, so the ~80 lines below are simpler than wrapping it (it is not installed either).
 *
 * Caching rules, the same for the Secrets Manager and the file provider:
 * - `get()` answers from the cache while it is younger than `ttlMs`; otherwise it fetches.
 * - Single-flight: at most one fetch runs at a time; everyone who asks meanwhile shares it.
 * - `refresh()` is for "the value I hold was rejected" (an upstream 401, an unknown inbound
 *   app id or token). It must not answer with a value read before the rejection, so it only
 *   reuses a fetch that started less than `minRefreshIntervalMs` before it was called
 *   (joining it if still running). Otherwise it fetches anew; if an older fetch is still
 *   running, it waits for it and then one follow-up fetch is shared by all such callers.
 *   The interval bounds what a flood of refreshes costs (an attacker can trigger them with
 *   made-up app ids) to one fetch per interval per container.
 * - A failed fetch leaves the cache as it was and is not cached: the next call tries again.
 */
import { readFile } from "node:fs/promises";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigurationError } from "#core/errors.ts";
import { InvalidSecretError, SecretUnavailableError } from "./secret-errors.ts";
import { parseSecret, type SecretSchema } from "./secret-shapes.ts";

/** One secret, cached. */
export interface SecretProvider<T> {
  /** The cached value, or a fresh one when the cache is empty or older than its TTL. */
  get(): Promise<T>;
  /** A value fetched after this call (within `minRefreshIntervalMs`), for when the held one was rejected. */
  refresh(): Promise<T>;
}

export interface CacheOptions {
  /** How long a fetched value is served without asking again. Default 5 minutes. */
  ttlMs?: number;
  /** A refresh reuses a fetch started at most this long before it. Default 1 second. */
  minRefreshIntervalMs?: number;
  /** Epoch ms; injected in tests. */
  now?: () => number;
}

export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 1_000;

interface Fetch<T> {
  startedAt: number;
  promise: Promise<T>;
}

/**
 * The cache and single-flight logic over any loader. `load` returns the parsed and checked
 * value, or throws a typed error (`ConfigurationError`, `SecretUnavailableError`).
 */
export const createCachedSecretProvider = <T>(
  load: () => Promise<T>,
  options: CacheOptions = {},
): SecretProvider<T> => {
  const ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
  const now = options.now ?? Date.now;

  let cached: { value: T; fetchedAt: number } | undefined;
  let inFlight: Fetch<T> | undefined;
  let followUp: Promise<T> | undefined;

  const start = (): Fetch<T> => {
    const startedAt = now();
    const run: Fetch<T> = {
      startedAt,
      // Through a promise constructor so a loader that throws synchronously still rejects.
      promise: new Promise<T>((resolve) => resolve(load())).then((value) => {
        cached = { value, fetchedAt: startedAt };
        return value;
      }),
    };
    // Cleared whether it succeeds or fails, so a failure is never served twice.
    const clear = (): void => {
      if (inFlight === run) inFlight = undefined;
    };
    run.promise.then(clear, clear);
    inFlight = run;
    return run;
  };

  const isRecent = (startedAt: number, calledAt: number): boolean =>
    startedAt > calledAt - minRefreshIntervalMs;

  return {
    get() {
      if (cached && now() - cached.fetchedAt < ttlMs) return Promise.resolve(cached.value);
      return (inFlight ?? start()).promise;
    },
    refresh() {
      const calledAt = now();
      if (inFlight) {
        if (isRecent(inFlight.startedAt, calledAt)) return inFlight.promise;
        const older = inFlight.promise;
        followUp ??= older
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            followUp = undefined;
            // Anything in flight now started after `older` settled, so after every waiting caller.
            return (inFlight ?? start()).promise;
          });
        return followUp;
      }
      if (cached && isRecent(cached.fetchedAt, calledAt)) return Promise.resolve(cached.value);
      return start().promise;
    },
  };
};

// ---- Secrets Manager -----------------------------------------------------------------

export interface SecretsManagerProviderOptions<T> extends CacheOptions {
  client: SecretsManagerClient;
  /** Name or ARN of the secret in Secrets Manager. */
  secretId: string;
  /** The secret's name in errors and logs, e.g. `a55`. */
  name: string;
  schema: SecretSchema<T>;
}

/** Answers that will not change by asking again: misconfiguration, not an outage. */
const CONFIGURATION_ERROR_NAMES: ReadonlySet<string> = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "DecryptionFailure",
  "InvalidParameterException",
  "InvalidRequestException",
]);

/** Parses JSON text; the error names the secret only, because `SyntaxError`'s message quotes the text. */
export const parseSecretJson = (name: string, text: string, where: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidSecretError(name, `secret "${name}": ${where} is not valid JSON`);
  }
};

/**
 * A provider over Secrets Manager's `GetSecretValue` (the secret's `SecretString`, JSON).
 *
 * @throws (from `get`/`refresh`) `InvalidSecretError` for a malformed value,
 *   `ConfigurationError` for a missing secret or denied access, `SecretUnavailableError`
 *   when Secrets Manager cannot be reached or fails (transient).
 */
export const createSecretsManagerProvider = <T>(
  options: SecretsManagerProviderOptions<T>,
): SecretProvider<T> => {
  const { client, secretId, name, schema } = options;
  const load = async (): Promise<T> => {
    let secretString: string | undefined;
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = answer.SecretString;
    } catch (error) {
      const errorName = error instanceof Error ? error.name : "UnknownError";
      if (CONFIGURATION_ERROR_NAMES.has(errorName)) {
        throw new ConfigurationError(`secret "${name}" (${secretId}) cannot be read: ${errorName}`, {
          cause: error,
        });
      }
      throw new SecretUnavailableError(name, `secret "${name}" is unavailable: ${errorName}`, {
        cause: error,
      });
    }
    if (secretString === undefined) {
      throw new InvalidSecretError(
        name,
        `secret "${name}" has no SecretString (binary secrets are not supported)`,
      );
    }
    return parseSecret(name, schema, parseSecretJson(name, secretString, "the SecretString"));
  };
  return createCachedSecretProvider(load, options);
};

// ---- Local file ----------------------------------------------------------------------

export interface FileSecretProviderOptions<T> extends CacheOptions {
  /** A JSON file holding every secret by key, e.g. `.local/secrets.json`. */
  path: string;
  /** This secret's key in the file, e.g. `a55`. */
  key: string;
  name: string;
  schema: SecretSchema<T>;
}

/**
 * The same interface over a local JSON file `{ "procure-core": {...}, "a55": {...}, "clients": {...} }`,
 * for runs without AWS. The file is read once and then served until `refresh()` (or
 * `ttlMs`, which defaults to never); every refresh re-reads it (`minRefreshIntervalMs`
 * defaults to 0 here), so an edited file is picked up on the next 401.
 *
 * @throws (from `get`/`refresh`) `ConfigurationError` when the file is missing, unreadable,
 *   not JSON, lacks the key, or the value does not fit the schema
 */
export const createFileSecretProvider = <T>(options: FileSecretProviderOptions<T>): SecretProvider<T> => {
  const { path, key, name, schema } = options;
  const load = async (): Promise<T> => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new ConfigurationError(`secret "${name}": secrets file ${path} cannot be read (${code})`, {
        cause: error,
      });
    }
    const all = parseSecretJson(name, text, `secrets file ${path}`);
    if (typeof all !== "object" || all === null || Array.isArray(all) || !Object.hasOwn(all, key)) {
      throw new InvalidSecretError(name, `secret "${name}": secrets file ${path} has no key "${key}"`);
    }
    return parseSecret(name, schema, (all as Record<string, unknown>)[key]);
  };
  return createCachedSecretProvider(load, {
    ...options,
    ttlMs: options.ttlMs ?? Number.POSITIVE_INFINITY,
    minRefreshIntervalMs: options.minRefreshIntervalMs ?? 0,
  });
};

/**
 * Where the local stack lives and listens. Everything has a default that `npm start` uses;
 * the environment may move it, so a test (or a second checkout) can run the stack on free
 * ports with its own state directory and never touch the developer's `.local/`.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | CANCEL_LOCAL_DIR | `<repo>/.local` | state: secrets.json, client.env, dynamodb/ |
 * | CANCEL_LOCAL_HTTP_PORT | 3000 | HTTP API, `/events`, `/sweep` and the local EventBridge endpoint |
 * | CANCEL_LOCAL_DYNAMODB_PORT | 8000 | DynamoDB Local |
 * | CANCEL_LOCAL_PROCURE_CORE_PORT | 4010 | Procure-Core sandbox |
 * | CANCEL_LOCAL_A55_PORT | 4020 | A55 sandbox |
 * | CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS | 60 | the sweep timer; 0 turns it off (`POST /sweep` still works) |
 * | CANCEL_LOCAL_CONTINUATION_INTERVAL_SECONDS | 10 | the continuation timer (every minute deployed); 0 turns it off (`POST /continuation` still works) |
 * | CANCEL_LOCAL_WORKERS | (the table in local/stack/local-functions.ts) | containers per function, e.g. `http-api=8,cancel-requested=5` |
 * | CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS | 360 (as deployed) | the work queue's visibility timeout: how long a failed message waits |
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalPorts {
  http: number;
  dynamodb: number;
  procureCore: number;
  a55: number;
}

export interface LocalSettings {
  stateDir: string;
  ports: LocalPorts;
  inMemory: boolean;
  /** 0: no timer. */
  sweepIntervalMs: number;
  /** 0: no timer. */
  continuationIntervalMs: number;
  /** Containers per function name, over the table's defaults. */
  workers: Readonly<Record<string, number>>;
  /** Undefined: as deployed. */
  queueVisibilitySeconds: number | undefined;
}

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

export const DEFAULT_PORTS: Readonly<LocalPorts> = {
  http: 3000,
  dynamodb: 8000,
  procureCore: 4010,
  a55: 4020,
};

/** The repository root: local/stack/ is two levels below it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const port = (env: Record<string, string | undefined>, name: string, fallback: number): number => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new SettingsError(`${name} must be a port number from 1 to 65535 (got "${raw}")`);
  }
  return value;
};

const workers = (raw: string | undefined): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const part of (raw ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(part);
    const count = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(count) || count < 1 || count > 64) {
      throw new SettingsError(
        `CANCEL_LOCAL_WORKERS must be name=count pairs (1 to 64), e.g. http-api=8,cancel-requested=5 (got "${part}")`,
      );
    }
    counts[match[1]] = count;
  }
  return counts;
};

const optionalSeconds = (
  env: Record<string, string | undefined>,
  name: string,
  max: number,
): number | undefined => {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SettingsError(`${name} must be a whole number of seconds from 0 to ${max}`);
  }
  return value;
};

/**
 * Reads the stack's settings.
 *
 * @throws SettingsError naming the variable that is malformed, or two services on one port
 */
export const readLocalSettings = (
  env: Record<string, string | undefined>,
  flags: { inMemory: boolean },
): LocalSettings => {
  const ports: LocalPorts = {
    http: port(env, "CANCEL_LOCAL_HTTP_PORT", DEFAULT_PORTS.http),
    dynamodb: port(env, "CANCEL_LOCAL_DYNAMODB_PORT", DEFAULT_PORTS.dynamodb),
    procureCore: port(env, "CANCEL_LOCAL_PROCURE_CORE_PORT", DEFAULT_PORTS.procureCore),
    a55: port(env, "CANCEL_LOCAL_A55_PORT", DEFAULT_PORTS.a55),
  };
  if (new Set(Object.values(ports)).size !== 4) {
    throw new SettingsError(`Each service needs its own port; got ${JSON.stringify(ports)}`);
  }
  const interval = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    const seconds = raw ? Number(raw) : fallback;
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new SettingsError(`${name} must be a number of seconds (0: off)`);
    }
    return Math.round(seconds * 1000);
  };
  const stateDir = env.CANCEL_LOCAL_DIR?.trim()
    ? path.resolve(env.CANCEL_LOCAL_DIR.trim())
    : path.join(REPO_ROOT, ".local");
  return {
    stateDir,
    ports,
    inMemory: flags.inMemory,
    sweepIntervalMs: interval("CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS", 60),
    // Every minute deployed; locally a developer watching the tour should not wait that long.
    continuationIntervalMs: interval("CANCEL_LOCAL_CONTINUATION_INTERVAL_SECONDS", 10),
    workers: workers(env.CANCEL_LOCAL_WORKERS),
    queueVisibilitySeconds: optionalSeconds(env, "CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS", 43_200),
  };
};

/** `http://127.0.0.1:<port>`: everything local listens on loopback only. */
export const loopbackUrl = (portNumber: number): string => `http://127.0.0.1:${portNumber}`;

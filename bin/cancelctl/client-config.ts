/**
 * Where cancelctl finds the service and its credentials: the environment first
 * (`CANCEL_API_URL`, `APP_ID`, `APP_SECRET`, `A55_ACCESS_TOKEN`), then the file `npm start`
 * writes (`$CANCEL_LOCAL_DIR/client.env`, by default `<repo>/.local/client.env`), or the
 * file given with `--env-file`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

export interface ClientConfig {
  apiUrl: string;
  appId: string | undefined;
  appSecret: string | undefined;
  accessToken: string | undefined;
  /** The file the values came from, if one was read. */
  source: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The default client file: `$CANCEL_LOCAL_DIR/client.env` or `<repo>/.local/client.env`. */
export const defaultClientEnvFile = (env: Record<string, string | undefined>): string =>
  path.join(
    env.CANCEL_LOCAL_DIR?.trim() ? path.resolve(env.CANCEL_LOCAL_DIR.trim()) : path.join(REPO_ROOT, ".local"),
    "client.env",
  );

/**
 * Reads the configuration.
 *
 * @param envFile - `--env-file`; it must exist (the default file may be missing)
 * @throws ConfigError when `--env-file` cannot be read or no API URL is known
 */
export const loadClientConfig = (env: Record<string, string | undefined>, envFile?: string): ClientConfig => {
  const file = envFile ?? defaultClientEnvFile(env);
  let fromFile: NodeJS.Dict<string> = {};
  let source: string | undefined;
  if (envFile !== undefined || existsSync(file)) {
    try {
      fromFile = parseEnv(readFileSync(file, "utf8"));
      source = file;
    } catch (error) {
      throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const pick = (name: string): string | undefined => {
    const value = env[name]?.trim() || fromFile[name]?.trim();
    return value === "" ? undefined : value;
  };
  const apiUrl = pick("CANCEL_API_URL");
  if (apiUrl === undefined) {
    throw new ConfigError(
      `No CANCEL_API_URL: start the local stack with \`npm start\` (it writes ${file}) or set CANCEL_API_URL, APP_ID, APP_SECRET and A55_ACCESS_TOKEN.`,
    );
  }
  return {
    apiUrl,
    appId: pick("APP_ID"),
    appSecret: pick("APP_SECRET"),
    accessToken: pick("A55_ACCESS_TOKEN"),
    source,
  };
};

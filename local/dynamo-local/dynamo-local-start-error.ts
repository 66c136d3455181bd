/**
 * Why DynamoDB Local did not start, as local/dynamo-local/launcher.ts (and the loopback
 * launcher's compilation, loopback-launcher.ts) report it; the tests' start retries on it.
 */

/**
 * Why DynamoDB Local did not start: `compile` (javac rejected the launcher), `spawn` (no java
 * to run), `exited` (the JVM ended before answering, e.g. its port was taken) or `timeout`.
 */
export type DynamoLocalStartFailure = "compile" | "spawn" | "exited" | "timeout";

export class DynamoLocalStartError extends Error {
  override readonly name = "DynamoLocalStartError";
  readonly reason: DynamoLocalStartFailure;

  constructor(reason: DynamoLocalStartFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

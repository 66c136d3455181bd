/** Messages between a function pool (main thread) and its containers (worker threads). */
import type { LambdaIdentity } from "../lambda-context.ts";

export interface WorkerSetup {
  /** Absolute path of the handler module. */
  file: string;
  exportName: string;
  identity: LambdaIdentity;
  logStreamName: string;
  /** Diagnostics channels to forward while an invocation runs. */
  channels: readonly string[];
}

/** A serialised error, in Lambda's own shape. */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  stack?: string;
}

export type ToWorker = { type: "invoke"; id: number; event: unknown; deadline: number; awsRequestId: string };

export type FromWorker =
  | { type: "ready"; initMs: number }
  | { type: "init-failed"; error: InvocationError }
  | { type: "result"; id: number; ok: true; value: unknown }
  | { type: "result"; id: number; ok: false; error: InvocationError }
  | { type: "channel"; id: number; name: string; message: unknown };

export const toInvocationError = (error: unknown): InvocationError =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, ...(error.stack ? { stack: error.stack } : {}) }
    : { errorType: typeof error, errorMessage: String(error) };

/**
 * What invokes one local function synchronously, as Lambda's Invoke API does: the contract the
 * local stack's triggers call (front door, schedules, bus, stream and queue mappings). Two
 * implement it: function-pool.ts (containers in worker threads, as `npm start` runs them) and
 * in-process-invoker.ts (the handler in this process, for tests).
 */
import type { LocalFunctionSpec } from "./local-function.ts";
import type { InvocationError } from "./worker-protocol.ts";

export interface InvokeOptions {
  awsRequestId?: string;
  /** Receives the function's diagnostics-channel messages while this invocation runs. */
  onChannelMessage?: (name: string, message: unknown) => void;
}

/** Something that invokes one function synchronously, as Lambda's Invoke API does. */
export interface Invoker {
  readonly spec: LocalFunctionSpec;
  /** Resolves with the handler's result; rejects with its error (name = Lambda's errorType) or a timeout. */
  invoke(event: unknown, options?: InvokeOptions): Promise<unknown>;
  stats(): InvokerStats;
  close(): Promise<void>;
}

export interface InvokerStats {
  containers: number;
  busy: number;
  waiting: number;
  invocations: number;
  coldStarts: number;
  /** Module initialisation of each cold start, ms. */
  initMs: number[];
  errors: number;
  timeouts: number;
  /** Most containers busy at once. */
  peakBusy: number;
}

/** An invocation's error as the caller sees it: Lambda's `errorType` as the name. */
export class FunctionError extends Error {
  override readonly name: string;
  constructor(error: InvocationError) {
    super(error.errorMessage);
    this.name = error.errorType;
    if (error.stack) this.stack = error.stack;
  }
}

/**
 * One local function as Lambda runs it: up to `workers` containers (worker threads,
 * lambda-worker.ts), each with its own module state, created on demand (a cold start: the
 * handler module is loaded in the new container before its first invocation) and reused
 * while warm. A container serves one invocation at a time; an invocation that outlives the
 * function's timeout is answered "Task timed out" and its container is killed, as Lambda
 * does, so nothing it was still doing goes on. A container that crashes (an uncaught error,
 * out of memory) fails its invocation and is replaced by the next cold start.
 *
 * Where it differs from Lambda: invocations beyond `workers` wait for a free container
 * instead of being throttled (429); containers are never recycled while warm.
 *
 * This file holds the pool: containers started on demand, invocations dispatched, timeouts and
 * crashes. Its siblings: container-worker.ts (a container's worker thread and environment),
 * invoker.ts (the contract the triggers call, which the pool implements).
 */
import { randomUUID } from "node:crypto";
import type { Worker } from "node:worker_threads";
import { LambdaTimeoutError, timeoutMessage } from "../lambda-context.ts";
import { type ContainerOutput, startContainerWorker } from "./container-worker.ts";
import { FunctionError, type InvokeOptions, type Invoker, type InvokerStats } from "./invoker.ts";
import { identityOf, type LocalFunctionSpec, physicalName, resolveHandler } from "./local-function.ts";
import type { FromWorker, ToWorker, WorkerSetup } from "./worker-protocol.ts";

interface Pending {
  event: unknown;
  options: InvokeOptions;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Container {
  worker: Worker;
  ready: Promise<void>;
  running?: { id: number; pending: Pending; timer?: NodeJS.Timeout };
  /** What the handler's load failed with, as the container reported it before it exited. */
  initFailure?: FunctionError;
}

export interface FunctionPoolOptions {
  /** The repository root handler strings are relative to. */
  root: string;
  /** What every local container shares (local endpoints, fake credentials: service-env.ts `localRuntimeEnvironment`); the spec's own `env` (its deployed environment, resolved locally) goes on top. */
  serviceEnv: Record<string, string>;
  /** Where the containers' stdout/stderr go; default: this process's. */
  output?: ContainerOutput;
}

export class FunctionPool implements Invoker {
  readonly spec: LocalFunctionSpec;
  readonly #options: FunctionPoolOptions;
  readonly #setup: Omit<WorkerSetup, "logStreamName">;
  readonly #containers = new Set<Container>();
  readonly #waiting: Pending[] = [];
  readonly #stats: InvokerStats = {
    containers: 0,
    busy: 0,
    waiting: 0,
    invocations: 0,
    coldStarts: 0,
    initMs: [],
    errors: 0,
    timeouts: 0,
    peakBusy: 0,
  };
  #nextId = 1;
  #closed = false;

  constructor(spec: LocalFunctionSpec, options: FunctionPoolOptions) {
    if (!Number.isInteger(spec.workers) || spec.workers < 1) {
      throw new RangeError(`${spec.name}: workers must be a positive integer`);
    }
    this.spec = spec;
    this.#options = options;
    const { file, exportName } = resolveHandler(options.root, spec.handler);
    this.#setup = { file, exportName, identity: identityOf(spec), channels: spec.channels ?? [] };
  }

  invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`${physicalName(this.spec)} is stopped`));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ event, options, resolve, reject });
      this.#dispatch();
    });
  }

  stats(): InvokerStats {
    const busy = [...this.#containers].filter((c) => c.running).length;
    return {
      ...this.#stats,
      initMs: [...this.#stats.initMs],
      containers: this.#containers.size,
      busy,
      waiting: this.#waiting.length,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const stopped = (): Error => new Error(`${physicalName(this.spec)} is stopped`);
    for (const pending of this.#waiting.splice(0)) pending.reject(stopped());
    const containers = [...this.#containers];
    const discarded = containers.map((container) => this.#discard(container));
    for (const container of containers) {
      if (container.running) this.#finish(container, container.running.id, { ok: false, error: stopped() });
    }
    await Promise.allSettled(discarded);
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      let container = [...this.#containers].find((c) => !c.running);
      if (!container) {
        if (this.#containers.size >= this.spec.workers) return;
        container = this.#spawn();
      }
      const pending = this.#waiting.shift() as Pending;
      this.#run(container, pending);
    }
  }

  #spawn(): Container {
    const worker = startContainerWorker(
      this.spec,
      this.#setup,
      this.#options.serviceEnv,
      this.#options.output,
    );
    this.#stats.coldStarts += 1;
    let settleReady: { resolve: () => void; reject: (error: unknown) => void } | undefined;
    const container: Container = {
      worker,
      ready: new Promise<void>((resolve, reject) => {
        settleReady = { resolve, reject };
      }),
    };
    // A container that never became ready fails its first invocation, not the process.
    container.ready.catch(() => {});
    worker.on("message", (message: FromWorker) => {
      if (message.type === "ready") {
        this.#stats.initMs.push(message.initMs);
        settleReady?.resolve();
      } else if (message.type === "init-failed") {
        container.initFailure = new FunctionError({
          ...message.error,
          errorType: "Runtime.ImportModuleError",
        });
        settleReady?.reject(container.initFailure);
      } else if (message.type === "channel") {
        if (container.running?.id === message.id)
          container.running.pending.options.onChannelMessage?.(message.name, message.message);
      } else if (message.type === "result") {
        this.#finish(
          container,
          message.id,
          message.ok
            ? { ok: true, value: message.value }
            : { ok: false, error: new FunctionError(message.error) },
        );
      }
    });
    // A container that reported its load failure exits right after: its invocation gets the
    // report (Runtime.ImportModuleError), not the exit.
    const died = (exit: unknown): void => {
      const error = container.initFailure ?? exit;
      settleReady?.reject(error);
      this.#containers.delete(container);
      const running = container.running;
      if (running) this.#finish(container, running.id, { ok: false, error });
      this.#dispatch();
    };
    worker.on("error", (error) =>
      died(
        new FunctionError({
          errorType: "Runtime.ExitError",
          errorMessage: `Runtime exited with error: ${error.message}`,
        }),
      ),
    );
    worker.on("exit", (code) => {
      if (this.#containers.has(container) && !this.#closed) {
        died(
          new FunctionError({
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited with status ${code}`,
          }),
        );
      }
    });
    this.#containers.add(container);
    return container;
  }

  #run(container: Container, pending: Pending): void {
    const id = this.#nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    // Reserved at once, so no other invocation is dispatched to it while it starts.
    container.running = { id, pending };
    this.#stats.invocations += 1;
    this.#stats.peakBusy = Math.max(
      this.#stats.peakBusy,
      [...this.#containers].filter((c) => c.running).length,
    );
    container.ready.then(
      () => {
        if (container.running?.id !== id) return;
        container.running.timer = setTimeout(() => {
          this.#stats.timeouts += 1;
          // Out of the pool first, so the timed-out container takes no other invocation.
          void this.#discard(container);
          this.#finish(container, id, {
            ok: false,
            error: new LambdaTimeoutError(timeoutMessage(timeoutMs)),
          });
        }, timeoutMs);
        const message: ToWorker = {
          type: "invoke",
          id,
          event: pending.event,
          deadline: Date.now() + timeoutMs,
          awsRequestId: pending.options.awsRequestId ?? randomUUID(),
        };
        container.worker.postMessage(message);
      },
      (error: unknown) => {
        void this.#discard(container);
        this.#finish(container, id, { ok: false, error });
      },
    );
  }

  #finish(
    container: Container,
    id: number,
    result: { ok: true; value: unknown } | { ok: false; error: unknown },
  ): void {
    const running = container.running;
    if (!running || running.id !== id) return;
    clearTimeout(running.timer);
    container.running = undefined;
    if (result.ok) running.pending.resolve(result.value);
    else {
      this.#stats.errors += 1;
      running.pending.reject(result.error);
    }
    this.#dispatch();
  }

  async #discard(container: Container): Promise<void> {
    this.#containers.delete(container);
    await container.worker.terminate();
  }
}

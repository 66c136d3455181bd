/**
 * How the lifecycle's model-based test runs invocations: each one's store writes can fail
 * the ways DynamoDB and Lambda fail (the process killed before or after a write is applied,
 * a write refused, a write applied whose answer never arrives), every port call of
 * concurrent invocations is released in an order fast-check's scheduler chooses, and a
 * continuation may work from cancellations read long before (a stale reader).
 */
import type { Cancellation } from "#core/cancellation.ts";
import { StoreUnavailableError } from "#core/errors.ts";
import type { CancellationStore, Page } from "#core/ports.ts";

/** Thrown by every port of an invocation from its crash point on: the process is gone. */
export class SimulatedCrash extends Error {
  override name = "SimulatedCrash";
}

/**
 * What goes wrong at an invocation's `atWrite`-th store write:
 * - `killed` / `killed-after-write`: the process dies before / after the write is applied;
 *   nothing of it runs any more;
 * - `write-fails`: the write is refused (throttling, an outage): StoreUnavailableError,
 *   nothing written; the invocation goes on with the error as the code handles it;
 * - `write-lost`: the write is applied but its answer never arrives (a timeout after the
 *   commit): StoreUnavailableError, though the write happened.
 */
export interface WriteFault {
  atWrite: number;
  effect: "killed" | "killed-after-write" | "write-fails" | "write-lost";
}

const WRITES: Record<string, ReadonlySet<string>> = {
  idempotency: new Set(["begin"]),
  work: new Set(["finishAttempt", "releaseAttempt", "commitTransition"]),
  audit: new Set(["append"]),
};

const PORTS = ["idempotency", "cancellations", "work", "audit", "intents", "charges"] as const;

const wrapPorts = <T extends object>(deps: T, wrap: (name: string, port: object) => object): T => {
  const ports = deps as Record<string, unknown>;
  const wrapped: Record<string, unknown> = { ...ports };
  for (const name of PORTS) {
    if (ports[name]) wrapped[name] = wrap(name, ports[name] as object);
  }
  return wrapped as T;
};

/**
 * Wraps an invocation's ports so its `atWrite`-th store write fails as `fault` says. Reads
 * and upstream calls are not counted, but die with a killed process too.
 */
export const faulty = <T extends object>(deps: T, fault: WriteFault | undefined): T => {
  if (!fault) return deps;
  let writes = 0;
  let dead = false;
  return wrapPorts(
    deps,
    (name, port) =>
      new Proxy(port, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (typeof value !== "function") return value;
          return async (...args: unknown[]) => {
            if (dead) throw new SimulatedCrash("the invocation was killed earlier");
            const isWrite = WRITES[name]?.has(String(key)) ?? false;
            if (!isWrite || ++writes !== fault.atWrite) return value.apply(target, args);
            const what = `write ${writes} (${name}.${String(key)})`;
            if (fault.effect === "killed" || fault.effect === "killed-after-write") {
              dead = true;
              if (fault.effect === "killed-after-write") await value.apply(target, args);
              throw new SimulatedCrash(`killed at ${what}`);
            }
            if (fault.effect === "write-lost") await value.apply(target, args);
            throw new StoreUnavailableError(name, `simulated: ${what} ${fault.effect}`);
          };
        },
      }),
  );
};

/** Whether an invocation ended on a simulated fault (killed, or a store write that failed) rather than a defect. */
export const isSimulatedFault = (error: unknown): boolean =>
  error instanceof SimulatedCrash ||
  (error instanceof StoreUnavailableError && error.message.startsWith("simulated: "));

/**
 * Wraps every async method of the ports so that each call is released by the fast-check
 * scheduler: the steps of concurrent invocations interleave in an order the test chooses.
 */
export const interleaved = <T extends object>(
  deps: T,
  schedule: <R>(label: string, run: () => Promise<R>) => Promise<R>,
): T =>
  wrapPorts(
    deps,
    (name, port) =>
      new Proxy(port, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => schedule(`${name}.${String(key)}`, () => value.apply(target, args));
        },
      }),
  );

/**
 * Keeps what runs read of open cancellations (each page of due ones, each one read alone),
 * so that a later continuation can work from an old read: a stale reader (an eventually
 * consistent index, a slow run) that holds records at the versions they had then and
 * writes their transitions late.
 */
export class HeldReads {
  readonly reads: Cancellation[][] = [];

  /** The store, remembering the open cancellations each `due` and `get` returned. */
  remembering(store: CancellationStore): CancellationStore {
    const reads = this.reads;
    return new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        // Bound: the stores keep their state in private fields, which a proxy as `this` cannot reach.
        if (key !== "due" && key !== "get") return value.bind(target);
        return async (...args: unknown[]) => {
          const answer = (await value.apply(target, args)) as Page<Cancellation> | Cancellation | undefined;
          const open = (answer && "items" in answer ? answer.items : answer ? [answer] : []).filter(
            (c) => c.state !== "DONE",
          );
          if (open.length > 0) reads.push(structuredClone(open));
          return answer;
        };
      },
    });
  }

  /** The store as a stale reader sees it: its `due` answers read `pick` of those held (once), then nothing. */
  stale(store: CancellationStore, pick: number): CancellationStore {
    const read = this.reads.length > 0 ? this.reads[pick % this.reads.length] : undefined;
    if (!read) return store;
    let served = false;
    return new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        if (key !== "due") return value.bind(target);
        return async (): Promise<Page<Cancellation>> => {
          if (served) return { items: [] };
          served = true;
          return { items: structuredClone(read) };
        };
      },
    });
  }
}

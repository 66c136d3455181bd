/**
 * Faults of the local bus's EventBridge endpoint, for the outbox's reliability tests and
 * for trying the relay by hand: a share of PutEvents calls refused at random (seeded), half
 * as a whole-call `InternalException` (HTTP 500, which the SDK retries), half as every entry
 * refused with `ThrottlingException` (HTTP 200 with `FailedEntryCount`, which only the
 * publisher retries); or the endpoint down altogether (HTTP 503) until it is brought back.
 * Only the service's door is affected; `POST /events` never is.
 */
import { FaultInjector } from "#local/sandboxes/fault-injector.ts";

export type PutEventsFate = "pass" | "internal-error" | "throttled" | "unavailable";

export interface PutEventsFaultSettings {
  /** Probability in [0, 1] that a call is refused. */
  refuseRate: number;
  /** Every call answered 503 while true. */
  down: boolean;
  seed: number;
}

export class PutEventsFaults {
  #injector = new FaultInjector();
  #down = false;

  /** Changes the knobs; a new `seed` restarts the random sequence. */
  update(changes: Partial<PutEventsFaultSettings>): void {
    if (changes.down !== undefined) this.#down = changes.down;
    if (changes.refuseRate !== undefined) {
      if (!(changes.refuseRate >= 0 && changes.refuseRate <= 1)) {
        throw new RangeError("refuseRate is a probability in [0, 1]");
      }
      this.#injector.update({ errorRate: changes.refuseRate / 2, rateLimitRate: changes.refuseRate / 2 });
    }
    if (changes.seed !== undefined) this.#injector.update({ seed: changes.seed });
  }

  reset(): void {
    this.#injector.reset();
    this.#down = false;
  }

  /** The fate of the next PutEvents call. */
  next(): PutEventsFate {
    if (this.#down) return "unavailable";
    const { decision } = this.#injector.next();
    return decision === "error" ? "internal-error" : decision === "rate-limit" ? "throttled" : "pass";
  }
}

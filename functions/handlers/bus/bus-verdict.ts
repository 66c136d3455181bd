import type { OperationalProblem, OutcomeType } from "#core/outcome.ts";

/**
 * What became of one `Cancel Requested` message, and so what the queue must do with it:
 *
 * - `settled`: a final outcome or a rejection (recorded and announced); the message is done.
 * - `later`: nothing was wrong with this message, it just cannot be served now (the upstream
 *   or the shared budget is rate-limited, another delivery of the same request holds its
 *   key, or this invocation has no time left to start it): a copy goes back on the queue
 *   with a delay and the message is done. Never counts towards the dead-letter queue.
 * - `failed`: an operational failure (upstream unavailable, credentials refused, an answer
 *   outside the contract, a store down): the message fails, returns after its visibility
 *   timeout, and is dead-lettered after the queue's maxReceiveCount receives.
 */
export type BusVerdict =
  | { kind: "settled"; outcome: OutcomeType; replayed: boolean }
  | {
      kind: "later";
      why: "rate-limited" | "in-progress" | "no-time";
      retryAfterSeconds?: number;
      reason: string;
    }
  | { kind: "failed"; problem: OperationalProblem | undefined; reason: string };

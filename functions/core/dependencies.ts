import type { BulkItemRef, LifecyclePolicy } from "./cancellation.ts";
import type {
  AuditLog,
  CallOptions,
  CancellationStore,
  ChargesUpstream,
  Clock,
  IdempotencyStore,
  Ids,
  IntentsUpstream,
  Trigger,
  UnitOfWork,
} from "./ports.ts";

/** Everything the use cases need, built once per container by the composition root. */
export interface CancelDependencies {
  intents: IntentsUpstream;
  charges: ChargesUpstream;
  idempotency: IdempotencyStore;
  audit: AuditLog;
  cancellations: CancellationStore;
  /** Every state-changing write: an attempt finished or released, a cancellation moved on. */
  work: UnitOfWork;
  /** How the continuation paces cancellations and when they count as STUCK. */
  lifecycle: LifecyclePolicy;
  clock: Clock;
  ids: Ids;
}

/** Who asked, through which door, and until when the work may run. */
export interface CancelContext {
  trigger: Trigger;
  /**
   * Who the request says it is from, for people reading the trail: a client id, an event's
   * `source/requestedBy` (a label, not an identity), or `expiry-sweep`.
   */
  actor: string;
  /**
   * Whose request it is, as the service vouches for it (ownership.ts): the authenticated
   * client's id, `bus:<source>`, or `schedule:<name>`. Order ids are namespaced by it.
   */
  owner: string;
  correlationId: string;
  /** Epoch ms: the invocation's deadline. Bounds retries and the idempotency lock. */
  deadline: number;
  /**
   * Present when the request is idempotent: `scopeKey` is what is locked and stored;
   * `key` is the caller's own key, kept in the audit log; `takeOver` is the lock token of
   * the abandoned attempt the continuation is finishing (see `BeginRequest.takeOver`).
   */
  idempotency?: { scopeKey: string; key?: string; takeOver?: string };
  /**
   * Set when the continuation carries the request out on its caller's behalf (an attempt
   * that never completed): the records say so, and its upstream calls are background work.
   */
  via?: "continuation";
  /** The bulk job item this cancel runs: a cancellation it opens remembers it, so finishing it finishes the item. */
  bulk?: BulkItemRef;
}

/**
 * The options of an upstream call made for this context: bounded by its deadline, tagged
 * with its correlation id, and prioritised for the shared upstream budget (a person waiting
 * on the HTTP API first; bus, sweep and continuation work within their share).
 */
export const callOptionsOf = (
  context: Pick<CancelContext, "deadline" | "correlationId" | "trigger" | "via">,
): CallOptions => ({
  deadline: context.deadline,
  correlationId: context.correlationId,
  priority: context.trigger === "http" && context.via === undefined ? "interactive" : "background",
});

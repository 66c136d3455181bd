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
} from "./ports.ts";

/** Everything the use cases need, built once per container by the composition root. */
export interface CancelDependencies {
  intents: IntentsUpstream;
  charges: ChargesUpstream;
  idempotency: IdempotencyStore;
  audit: AuditLog;
  cancellations: CancellationStore;
  /** How the continuation paces cancellations and when they count as STUCK. */
  lifecycle: LifecyclePolicy;
  clock: Clock;
  ids: Ids;
}

/** Who asked, through which door, and until when the work may run. */
export interface CancelContext {
  trigger: Trigger;
  /** The caller: an app id, a client token id, an event source, or `expiry-sweep`. */
  actor: string;
  correlationId: string;
  /** Epoch ms: the invocation's deadline. Bounds retries and the idempotency lock. */
  deadline: number;
  /**
   * Present when the request is idempotent: `scopeKey` is what is locked and stored;
   * `key` is the caller's own key, kept in the audit log.
   */
  idempotency?: { scopeKey: string; key?: string };
  /** The bulk job item this cancel runs: a cancellation it opens remembers it, so finishing it finishes the item. */
  bulk?: BulkItemRef;
}

/**
 * The options of an upstream call made for this context: bounded by its deadline, tagged
 * with its correlation id, and prioritised for the shared upstream budget (a person waiting
 * on the HTTP API first; bus, sweep and continuation work within their share).
 */
export const callOptionsOf = (
  context: Pick<CancelContext, "deadline" | "correlationId" | "trigger">,
): CallOptions => ({
  deadline: context.deadline,
  correlationId: context.correlationId,
  priority: context.trigger === "http" ? "interactive" : "background",
});

/**
 * What is still open: cancellations that are not final (STUCK included), for an operator's
 * `cancelctl pending`. Read from the cancellation store's `listOpen` (oldest-due first),
 * one page at a time, each cancellation shown with its age and its next check.
 */
import type { Cancellation, CancellationKind, CancellationState } from "./cancellation.ts";
import type { OperationalProblem } from "./outcome.ts";
import type { CancellationStore, Clock, Page, Trigger } from "./ports.ts";

/** `open`: every cancellation not final; `stuck`: only STUCK ones. */
export type OpenFilter = "open" | "stuck";

export interface OpenCancellationView {
  kind: CancellationKind;
  id: string;
  state: Exclude<CancellationState, "DONE">;
  /** The open state a STUCK cancellation is still waiting in. */
  stuckIn?: string;
  requestedAt: string;
  /** Seconds since it was requested. */
  ageSeconds: number;
  /** When the continuation looks at it next (ISO), if scheduled. */
  nextCheckAt?: string;
  checks: number;
  trigger: Trigger;
  actor: string;
  correlationId: string;
  idempotencyKey?: string;
  intentId?: string;
  charge?: { chargeUuid: string; walletUuid: string };
  lastProblem?: { problem: OperationalProblem; reason: string; at: string };
  updatedAt: string;
}

export const viewOf = (cancellation: Cancellation, now: number): OpenCancellationView => {
  const { request } = cancellation;
  const requested = Date.parse(request.requestedAt);
  return {
    kind: cancellation.kind,
    id: cancellation.id,
    state: cancellation.state as OpenCancellationView["state"],
    ...(cancellation.stuckIn !== undefined && { stuckIn: cancellation.stuckIn }),
    requestedAt: request.requestedAt,
    ageSeconds: Number.isFinite(requested) ? Math.max(0, Math.floor((now - requested) / 1000)) : 0,
    ...(cancellation.nextCheckAt !== undefined && {
      nextCheckAt: new Date(cancellation.nextCheckAt).toISOString(),
    }),
    checks: cancellation.checks,
    trigger: request.trigger,
    actor: request.actor,
    correlationId: request.correlationId,
    ...(request.idempotencyKey !== undefined && { idempotencyKey: request.idempotencyKey }),
    ...(request.intentId !== undefined && { intentId: request.intentId }),
    ...(request.charge !== undefined && { charge: request.charge }),
    ...(cancellation.lastProblem !== undefined && { lastProblem: cancellation.lastProblem }),
    updatedAt: cancellation.updatedAt,
  };
};

/**
 * One page of open cancellations, in the store's order (oldest-due first).
 *
 * With `stuck`, each store page is filtered: a page may hold fewer than `limit` items (even
 * none) and still come with a cursor. Follow the cursor until it is absent.
 *
 * @throws ValidationError for a bad `limit` or `cursor` (from the store)
 * @throws StoreUnavailableError when the store cannot be read
 */
export const listOpenCancellations = async (
  deps: { cancellations: Pick<CancellationStore, "listOpen">; clock: Clock },
  request: { filter: OpenFilter; limit: number; cursor?: string },
): Promise<Page<OpenCancellationView>> => {
  const page = await deps.cancellations.listOpen({ limit: request.limit, cursor: request.cursor });
  const now = deps.clock.now();
  const items = page.items
    .filter((c) => c.state !== "DONE" && (request.filter === "open" || c.state === "STUCK"))
    .map((c) => viewOf(c, now));
  return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
};

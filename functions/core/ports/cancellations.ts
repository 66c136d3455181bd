/**
 * Reading the cancellations (the durable lifecycle records, ADR 0005). Every write of one goes
 * through the unit of work (unit-of-work.ts), with its audit records, in one transaction.
 * Implemented by functions/adapters/dynamo/cancellation-store.ts.
 */
import type { Cancellation, CancellationKind } from "../cancellation.ts";
import type { Page } from "./audit-log.ts";

export type { CancellationTransition } from "./unit-of-work.ts";

/** The reads; no writes (the unit of work is the one writer of a cancellation record). */
export interface CancellationStore {
  /**
   * One cancellation. An order's is in its owner's namespace (order ids are each client's
   * own; `owner` undefined: an order cancelled before owners were recorded, under its
   * un-namespaced key). An intent's or a charge's is one per upstream target, whoever asked:
   * `owner` is ignored.
   */
  get(kind: CancellationKind, id: string, owner?: string): Promise<Cancellation | undefined>;
  /** Open and STUCK cancellations whose `nextCheckAt` is at or before `now`, oldest-due first. */
  due(now: number, options?: { limit?: number; cursor?: string }): Promise<Page<Cancellation>>;
  /** Every open or STUCK cancellation, oldest-due first (operators' `pending`). */
  listOpen(options?: { limit?: number; cursor?: string }): Promise<Page<Cancellation>>;
  /** How many are open, and how many of those are STUCK (for the gauges). */
  countOpen(): Promise<{ open: number; stuck: number }>;
}

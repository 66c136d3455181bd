/**
 * What the lifecycle model's invariants look at once quiescent (the world, the scenario,
 * every audit record and each order's cancellation), and the helpers they share.
 */
import type { Cancellation } from "#core/cancellation.ts";
import type { AuditRecord } from "#core/ports.ts";
import type { Scenario } from "./lifecycle-scenario.ts";
import type { World } from "./lifecycle-world.ts";

/** Fails the case, with what was found. */
export const violation = (message: string, details: unknown): never => {
  throw new Error(`${message}\n${JSON.stringify(details, null, 2)}`);
};

/** Intent states in which nothing was bought: the order's charge is to be cancelled. */
export const NOTHING_BOUGHT = new Set(["CANCELLED", "FAILED", "DRAFT"]);

export interface Facts {
  w: World;
  s: Scenario;
  records: AuditRecord[];
  orders: (Cancellation | undefined)[];
}

export const newestOf = (records: AuditRecord[], type: string, id: string): AuditRecord | undefined =>
  records.filter((r) => r.target.type === type && r.target.id === id).at(-1);

/** A final outcome's announcement (not `Pending`, not `Stuck`). */
export const isFinalEvent = (r: AuditRecord): boolean =>
  r.event !== undefined && r.event !== "Cancellation Pending" && r.event !== "Cancellation Stuck";

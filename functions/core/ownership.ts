/**
 * Whose a request and its records are (docs/security.md, "Ownership").
 *
 * The owner is the identity the service vouches for, never what a request says of itself:
 * an HTTP client's id (its app id or token id, one namespace), `bus:<source>` for a bus
 * producer (the EventBridge `source` the rule admitted; `requestedBy` is only a label), or
 * `schedule:<name>` for the service's own schedules. Client ids hold no `:`, so no client can
 * ever be named like a producer or a schedule.
 *
 * Records written before owners were recorded have no `owner`: an HTTP one belongs to the
 * client its `actor` names (the actor was the authenticated client id); a bus or schedule one
 * to no client, so only operators read it.
 */
import type { AuditRecord, TrailRef } from "./ports.ts";
import type { Trigger } from "./trigger.ts";

/** The owner of the bus requests a producer puts on the bus under `source`. */
export const busOwnerOf = (source: string): string => `bus:${source}`;

/** The owner of the expiry sweep's requests. */
export const SWEEP_OWNER = "schedule:expiry-sweep";
/** The continuation's own owner (it acts on behalf of each request's owner, never its own). */
export const CONTINUATION_OWNER = "schedule:continuation";

/** Who asked, as a request or a record tells it. */
export interface Asked {
  owner?: string;
  trigger: Trigger;
  actor: string;
}

/** The owner of a request or record; `undefined` for a pre-owner bus or schedule one. */
export const ownerOf = (asked: Asked): string | undefined =>
  asked.owner ?? (asked.trigger === "http" ? asked.actor : undefined);

/** Who is reading: a client, and whether its grant reads as an operator. */
export interface Reader {
  client: string;
  operator: boolean;
}

/**
 * Whether `reader` may see a record or request of `owner`'s namespace (`owner` absent: a
 * target every client shares, an intent or a charge). A client sees only its own; an operator
 * sees the namespace asked for, and the pre-owner records nobody owns.
 */
export const visibleTo =
  (reader: Reader, owner?: string) =>
  (asked: Asked): boolean => {
    const recordOwner = ownerOf(asked);
    if (!reader.operator) return recordOwner === reader.client;
    return owner === undefined || recordOwner === owner || recordOwner === undefined;
  };

/** The trail a record is kept in: an order's is its owner's (ports.ts, `TrailRef`). */
export const trailOf = (record: Pick<AuditRecord, "target" | "owner">): TrailRef =>
  record.target.type === "order"
    ? { type: "order", id: record.target.id, owner: record.owner }
    : { type: record.target.type, id: record.target.id };

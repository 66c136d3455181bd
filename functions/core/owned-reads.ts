/**
 * Reads as a client may make them: its own orders and its own records, or, for an operator,
 * any client's (ownership.ts). What a client may not see is answered as absent, never as
 * refused: a 404 for another client's order cannot tell it that the order exists.
 *
 * Orders cancelled before owners were recorded are under their un-namespaced key and trail;
 * they are read from there when the owner's namespace has nothing, and shown when they are
 * the owner's by the rule of `ownerOf` (an operator also sees those nobody owns).
 */
import type { Cancellation } from "./cancellation.ts";
import { ValidationError } from "./errors.ts";
import { type Reader, visibleTo } from "./ownership.ts";
import type { AuditLog, AuditRecord, CancellationStore, Page } from "./ports.ts";

/** Marks a cursor of a pre-owner order trail; `.` is not base64url, so no store cursor starts so. */
const PRE_OWNER_CURSOR = "preowner.";

/** The namespace asked for: the reader's own unless an operator names another owner. */
const namespaceOf = (reader: Reader, owner: string | undefined): string | undefined =>
  owner === undefined || owner === reader.client || reader.operator ? (owner ?? reader.client) : undefined;

/**
 * The cancellation of order `orderId` in `owner`'s namespace (default: the reader's), or
 * `undefined` when there is none the reader may see.
 */
export const readOrderCancellation = async (
  deps: { cancellations: Pick<CancellationStore, "get"> },
  reader: Reader,
  orderId: string,
  owner?: string,
): Promise<Cancellation | undefined> => {
  const namespace = namespaceOf(reader, owner);
  if (namespace === undefined) return undefined;
  const found = await deps.cancellations.get("order", orderId, namespace);
  if (found) return found;
  const preOwner = await deps.cancellations.get("order", orderId, undefined);
  return preOwner && visibleTo(reader, namespace)(preOwner.request) ? preOwner : undefined;
};

export interface TrailRequest {
  type: "intent" | "charge" | "order";
  id: string;
  /** For an order: whose (default: the reader's). Intents and charges have one trail. */
  owner?: string;
  limit?: number;
  cursor?: string;
}

/**
 * One page of a target's trail as the reader may see it: a client only its own records (on
 * an intent's or a charge's trail, other clients' are read past, never shown), an operator
 * all of them. `undefined` when a client has no record of that target at all.
 *
 * @throws ValidationError for an `owner` named on an intent or a charge, or a bad cursor or limit
 */
export const readTrail = async (
  deps: { audit: Pick<AuditLog, "byTarget"> },
  reader: Reader,
  request: TrailRequest,
): Promise<Page<AuditRecord> | undefined> => {
  const { limit, cursor } = request;
  let page: Page<AuditRecord>;
  if (request.type === "order") {
    const namespace = namespaceOf(reader, request.owner);
    if (namespace === undefined) return undefined;
    page = await orderTrail(deps, reader, { id: request.id, namespace, limit, cursor });
  } else {
    if (request.owner !== undefined) {
      throw new ValidationError(
        "owner",
        "owner names an order's client; an intent or a charge has one trail",
      );
    }
    const trail = { type: request.type, id: request.id };
    page = await deps.audit.byTarget(trail, { limit, cursor, keep: visibleTo(reader) });
  }
  const nothingToShow = !reader.operator && cursor === undefined && page.items.length === 0;
  return nothingToShow ? undefined : page;
};

const orderTrail = async (
  deps: { audit: Pick<AuditLog, "byTarget"> },
  reader: Reader,
  request: { id: string; namespace: string; limit?: number; cursor?: string },
): Promise<Page<AuditRecord>> => {
  const { id, namespace, limit, cursor } = request;
  const keep = visibleTo(reader, namespace);
  const preOwner = async (from?: string): Promise<Page<AuditRecord>> => {
    const page = await deps.audit.byTarget(
      { type: "order", id, owner: undefined },
      { limit, cursor: from, keep },
    );
    return page.cursor === undefined ? page : { ...page, cursor: `${PRE_OWNER_CURSOR}${page.cursor}` };
  };
  if (cursor?.startsWith(PRE_OWNER_CURSOR)) return preOwner(cursor.slice(PRE_OWNER_CURSOR.length));
  const page = await deps.audit.byTarget({ type: "order", id, owner: namespace }, { limit, cursor, keep });
  // An order cancelled before owners were recorded has its whole trail in the old partition.
  return cursor === undefined && page.items.length === 0 ? preOwner() : page;
};

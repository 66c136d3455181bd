/**
 * What each route asks of a client's grant: the one table the grant check reads
 * (core/grants.ts), so no route checks a grant by hand. Checked after the request is
 * authenticated and parsed, before any read, upstream call or write.
 *
 * An order's cancel cancels its parts: its intent under `intents`, its charge under
 * `charges` and the wallets (the order route reaches A55 as the charge route does).
 */
import type { Client } from "#adapters/secrets/client-credentials.ts";
import type { BulkItemTarget } from "#core/bulk-job.ts";
import type { SubmittedLine } from "#core/bulk-manifest.ts";
import { MAX_LISTED_ISSUES } from "#core/bulk-manifest.ts";
import { type Action, checkGrant, isOperator } from "#core/grants.ts";
import type { Reader } from "#core/ownership.ts";
import { HttpProblem } from "./http-problem.ts";
import type { RouteName } from "./routes.ts";

/** What a route's request names that its grant depends on. */
interface RouteSubjects {
  "intent-cancel": undefined;
  "charge-cancel": { walletUuid: string };
  "order-cancel": { intentId?: string | undefined; charge?: { walletUuid: string } | undefined };
  "order-status": undefined;
  "audit-trail": { type: "intent" | "charge" | "order" };
  "daily-report": undefined;
  "open-cancellations": undefined;
  "bulk-submit": undefined;
  "bulk-status": undefined;
  "bulk-items": undefined;
  "bulk-stop": undefined;
}

const RESOURCE_OF = { intent: "intents", charge: "charges", order: "orders" } as const;

export const ROUTE_GRANTS: { [R in RouteName]: (subject: RouteSubjects[R]) => Action[] } = {
  "intent-cancel": () => [{ kind: "cancel", resource: "intents" }],
  "charge-cancel": ({ walletUuid }) => [{ kind: "cancel", resource: "charges", wallet: walletUuid }],
  "order-cancel": ({ intentId, charge }) => [
    { kind: "cancel", resource: "orders" },
    ...(intentId === undefined ? [] : [{ kind: "cancel", resource: "intents" } as const]),
    ...(charge === undefined
      ? []
      : [{ kind: "cancel", resource: "charges", wallet: charge.walletUuid } as const]),
  ],
  "order-status": () => [{ kind: "read", resource: "orders" }],
  "audit-trail": ({ type }) => [{ kind: "read", resource: RESOURCE_OF[type] }],
  "daily-report": () => [{ kind: "operate" }],
  "open-cancellations": () => [{ kind: "operate" }],
  // Bulk work is reserved (grants' `bulk`): reading a job needs "read", submitting and stopping "write".
  "bulk-submit": () => [{ kind: "bulk", access: "write" }],
  "bulk-status": () => [{ kind: "bulk", access: "read" }],
  "bulk-items": () => [{ kind: "bulk", access: "read" }],
  "bulk-stop": () => [{ kind: "bulk", access: "write" }],
};

/**
 * Refuses (403) a request the client's grant does not allow, saying what the grant lacks:
 * that names the caller's own grant and its own input, never whether a target exists.
 */
export const authorize = <R extends RouteName>(client: Client, route: R, subject: RouteSubjects[R]): void => {
  const verdict = checkGrant(client.grant, ROUTE_GRANTS[route](subject));
  if (verdict.allowed) return;
  const message =
    verdict.wallet === undefined
      ? `This client's grant does not allow this request: it needs ${verdict.needs}`
      : "This client may not act on that wallet";
  throw new HttpProblem("forbidden", message, {
    reason: verdict.wallet === undefined ? "grant" : "wallet-scope",
    logDetails: { clientId: client.id, needs: verdict.needs },
  });
};

/** What one item of a bulk job does: the same as the single route that cancels its target. */
const actionsOfItem = (target: BulkItemTarget): Action[] => {
  if (target.type === "intent") return ROUTE_GRANTS["intent-cancel"](undefined);
  if (target.type === "charge") return ROUTE_GRANTS["charge-cancel"]({ walletUuid: target.walletUuid });
  return ROUTE_GRANTS["order-cancel"]({ intentId: target.intentId, charge: target.charge });
};

/**
 * Refuses (403) a bulk submission holding an item the client could not cancel through the
 * item's own route (a charge in a wallet it holds no grant for, an intent without `intents:
 * "write"`, …): a bulk job acts with its submitter's grant, item by item, so it is never a
 * way around a grant. The answer lists the lines (at most 100); nothing is created.
 */
export const authorizeBulkItems = (client: Client, lines: readonly SubmittedLine[]): void => {
  const refused: { line: number; field: string; why: string }[] = [];
  let walletScope = false;
  for (const line of lines) {
    if (!("target" in line)) continue;
    const verdict = checkGrant(client.grant, actionsOfItem(line.target));
    if (verdict.allowed) continue;
    walletScope ||= verdict.wallet !== undefined;
    refused.push({
      line: line.line,
      field: verdict.wallet === undefined ? "type" : "walletUuid",
      why: verdict.wallet === undefined ? `needs ${verdict.needs}` : "is a wallet this client may not act on",
    });
  }
  const [first] = refused;
  if (first === undefined) return;
  throw new HttpProblem(
    "forbidden",
    `This client's grant does not allow ${refused.length} of the items; the first: line ${first.line}, ${first.field} ${first.why}`,
    {
      reason: walletScope ? "wallet-scope" : "grant",
      issues: refused.slice(0, MAX_LISTED_ISSUES),
      logDetails: { clientId: client.id, needs: first.why, refusedItems: String(refused.length) },
    },
  );
};

/** The client as a reader: its own records, or every client's for an operator. */
export const readerOf = (client: Client): Reader => ({
  client: client.id,
  operator: isOperator(client.grant),
});

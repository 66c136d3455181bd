/**
 * Who may do what: a client's grant, and the one check of what a request would do against
 * it (docs/security.md). Modelled on Stripe's restricted keys (none / read / write per
 * resource, write including read), OAuth scopes and IAM's implicit deny: a client may do
 * only what its grant names, and nothing is granted by default.
 *
 * Wallets scope charges on every route that reaches A55 (the charge route, and the order
 * route when the order has a charge). Intents have no such scope: the service cannot tell
 * whose an intent is at Procure-Core, so `intents: "write"` cancels any intent the service's
 * own Procure-Core app may cancel.
 */

/** How far a client may go with one kind of target: not at all, read its own, or cancel (and read its own). */
export type Access = "none" | "read" | "write";
export const ACCESS_LEVELS: readonly Access[] = ["none", "read", "write"];

/** The kinds of target a grant names, as the secret spells them. */
export type Resource = "intents" | "charges" | "orders";

/** The wildcard wallet scope: every wallet. */
export const ANY_WALLET = "*";

export interface Grant {
  intents: Access;
  charges: Access;
  orders: Access;
  /** Operator reads: the daily report, the open list, and every client's orders and trails. */
  operator: "none" | "read";
  /**
   * Bulk jobs (docs/bulk-cancellations.md): `read` reads its own jobs (and, with `operator:
   * "read"`, every client's), `write` also submits and stops its own.
   */
  bulk: Access;
  /** The wallets (lower-case UUIDs) a charge may be cancelled in, or `["*"]`; empty: none. */
  wallets: readonly string[];
}

/** Nothing: what every field of a grant is until the grant names it. */
export const NO_GRANT: Grant = {
  intents: "none",
  charges: "none",
  orders: "none",
  operator: "none",
  bulk: "none",
  wallets: [],
};

/** Everything: what `"grants": "all"` means for an app (the service as it was before grants). */
export const FULL_GRANT: Grant = {
  intents: "write",
  charges: "write",
  orders: "write",
  operator: "read",
  bulk: "write",
  wallets: [ANY_WALLET],
};

/** What a request would do, as the grant check sees it. */
export type Action =
  | { kind: "cancel"; resource: "intents" | "orders" }
  | { kind: "cancel"; resource: "charges"; wallet: string }
  | { kind: "read"; resource: Resource }
  | { kind: "operate" }
  | { kind: "bulk"; access: Exclude<Access, "none"> };

/** Allowed, or what the grant lacks: a level of a field, or (`wallet`) the wallet asked for. */
export type GrantVerdict = { allowed: true } | { allowed: false; needs: string; wallet?: string };

/**
 * Whether the wallets allow acting on `walletUuid`: listed (UUIDs compare case-insensitively)
 * or `"*"`. A requested wallet of `"*"` itself is never allowed.
 */
export const mayUseWallet = (wallets: readonly string[], walletUuid: string): boolean => {
  if (walletUuid === ANY_WALLET) return false;
  const wallet = walletUuid.toLowerCase();
  return wallets.some((scope) => scope === ANY_WALLET || scope === wallet);
};

const reaches = (granted: Access, wanted: Exclude<Access, "none">): boolean =>
  granted === "write" || (granted === "read" && wanted === "read");

const verdictOf = (action: Action, grant: Grant): GrantVerdict => {
  switch (action.kind) {
    case "cancel":
      if (!reaches(grant[action.resource], "write")) {
        return { allowed: false, needs: `${action.resource}: "write"` };
      }
      if (action.resource === "charges" && !mayUseWallet(grant.wallets, action.wallet)) {
        return { allowed: false, needs: `wallet ${action.wallet} in wallets`, wallet: action.wallet };
      }
      return { allowed: true };
    case "read":
      return reaches(grant[action.resource], "read")
        ? { allowed: true }
        : { allowed: false, needs: `${action.resource}: "read"` };
    case "operate":
      return grant.operator === "read" ? { allowed: true } : { allowed: false, needs: 'operator: "read"' };
    case "bulk":
      return reaches(grant.bulk, action.access)
        ? { allowed: true }
        : { allowed: false, needs: `bulk: "${action.access}"` };
  }
};

/** Every action allowed, or the first one that is not, with what the grant lacks for it. */
export const checkGrant = (grant: Grant, actions: readonly Action[]): GrantVerdict => {
  for (const action of actions) {
    const verdict = verdictOf(action, grant);
    if (!verdict.allowed) return verdict;
  }
  return { allowed: true };
};

/** Whether the client reads as an operator: every client's records, the report, the open list. */
export const isOperator = (grant: Grant): boolean => grant.operator === "read";

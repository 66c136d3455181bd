/**
 * Clients with real grants (docs/security.md), for the tests of who may do what: two
 * storefronts with the same grant, one that may not cancel charges, a read-only operator, an
 * app and a token past their `expiresAt`, a point-of-sale token scoped to one wallet, and
 * for bulk jobs: submitters, a storefront that may only read jobs, an operator reading them. The
 * handler kit's own storefront holds `"all"`; these are added beside it (`clients` option).
 */
import { createHash, randomBytes } from "node:crypto";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";

const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const secretFor = (appId: string): string => `${appId}_secret_${randomBytes(12).toString("hex")}`;

/** A storefront: cancels intents, orders and charges in the demo wallet only, reads its own. */
export const STOREFRONT_GRANT = {
  intents: "write",
  orders: "write",
  charges: "write",
  wallets: [A55_DEMO_WALLET],
};

/** An operator who reads everything (report, open list, every client's trails) and cancels nothing. */
export const OPERATOR_GRANT = { intents: "read", charges: "read", orders: "read", operator: "read" };

const APP_IDS = [
  "shop-a",
  "shop-b",
  "shop-intents-only",
  "ops-desk",
  "shop-expired",
  "shop-bulk",
  "shop-intents-bulk",
  "shop-bulk-reader",
  "ops-bulk",
] as const;
export type GrantAppId = (typeof APP_IDS)[number];

export interface GrantClients {
  /** Each app's signing credentials, for `kit.signed({ app })`. */
  apps: Record<GrantAppId, { appId: string; secret: string }>;
  /** Bearer tokens: `pos` holds a grant object for the demo wallet; `posExpired` the same, expired. */
  tokens: { pos: string; posExpired: string };
  /** The `clients` option of the handler kit: the entries as written in the secret. */
  secretEntries: { apps: Record<string, unknown>; tokens: unknown[] };
}

export const grantClients = (): GrantClients => {
  const apps = Object.fromEntries(
    APP_IDS.map((appId) => [appId, { appId, secret: secretFor(appId) }]),
  ) as Record<GrantAppId, { appId: string; secret: string }>;
  const tokens = {
    pos: `pos_${randomBytes(16).toString("hex")}`,
    posExpired: `pos_${randomBytes(16).toString("hex")}`,
  };
  const posGrant = { charges: "write", wallets: [A55_DEMO_WALLET] };
  const past = "2020-01-01T00:00:00Z";
  return {
    apps,
    tokens,
    secretEntries: {
      apps: {
        "shop-a": { secrets: [apps["shop-a"].secret], grants: STOREFRONT_GRANT },
        "shop-b": { secrets: [apps["shop-b"].secret], grants: STOREFRONT_GRANT },
        "shop-intents-only": {
          secrets: [apps["shop-intents-only"].secret],
          grants: { intents: "write", orders: "write" },
        },
        "ops-desk": { secrets: [apps["ops-desk"].secret], grants: OPERATOR_GRANT },
        "shop-expired": { secrets: [apps["shop-expired"].secret], grants: STOREFRONT_GRANT, expiresAt: past },
        "shop-bulk": { secrets: [apps["shop-bulk"].secret], grants: { ...STOREFRONT_GRANT, bulk: "write" } },
        "shop-intents-bulk": {
          secrets: [apps["shop-intents-bulk"].secret],
          grants: { intents: "write", bulk: "write" },
        },
        "shop-bulk-reader": {
          secrets: [apps["shop-bulk-reader"].secret],
          grants: { ...STOREFRONT_GRANT, bulk: "read" },
        },
        "ops-bulk": { secrets: [apps["ops-bulk"].secret], grants: { ...OPERATOR_GRANT, bulk: "read" } },
      },
      tokens: [
        { id: "pos-terminal", sha256: sha256Hex(tokens.pos), grants: posGrant },
        { id: "pos-retired", sha256: sha256Hex(tokens.posExpired), grants: posGrant, expiresAt: past },
      ],
    },
  };
};

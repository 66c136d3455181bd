/**
 * The A55 sandbox's demo data and demo credentials: one charge per row of the seed's
 * status table, so `npm start`, the contract tests and the seed's own examples all work
 * against the same ids (the cancellable one is the seed's example charge).
 */
import type { ChargeStore } from "./charge-store.ts";
import type { OAuthClient, StaticTokenGrant } from "./token-issuer.ts";

/** The seed's example wallet; the service's demo credentials may act on it. */
export const A55_DEMO_WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

/** A wallet outside the demo credentials' scope (403). */
export const A55_DEMO_OTHER_WALLET = "0ddba110-0000-4000-8000-000000000000";

export const A55_DEMO_CHARGES = {
  /** The seed's example charge: 200 on the first cancel. */
  cancellable: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
  /** 409 CANCEL_NOT_ALLOWED, the seed's documented error body. */
  settled: "c0ffee00-0000-4000-8000-000000000001",
  /** 409 ALREADY_CANCELED. */
  canceled: "c0ffee00-0000-4000-8000-000000000002",
  /** Lives in {@link A55_DEMO_OTHER_WALLET}: 403 for the demo credentials. */
  otherWallet: "c0ffee00-0000-4000-8000-000000000003",
  /** Neither cancellable nor a 409 state: 400. */
  refunded: "c0ffee00-0000-4000-8000-000000000004",
  /** A second cancellable charge: an order's, in the tour (the seed's example charge is cancelled by its own cURL). */
  orderCharge: "c0ffee00-0000-4000-8000-000000000005",
} as const;

/** A fixed bearer token for the service (the `{baseUrl, accessToken}` form of the `a55` secret). */
export const A55_DEMO_STATIC_TOKEN = "a55-sandbox-demo-token";
export const A55_DEMO_STATIC_CLIENT_ID = "cancellation-service-static";

/** OAuth2 client credentials for the service (the `{tokenUrl, clientId, clientSecret}` form). */
export const A55_DEMO_OAUTH_CLIENT = {
  clientId: "cancellation-service",
  clientSecret: "a55-sandbox-demo-secret",
} as const;

/** Both demo credentials are scoped to the demo wallet only. */
export const demoCredentials = (): {
  staticTokens: Record<string, StaticTokenGrant>;
  oauthClients: Record<string, OAuthClient>;
} => ({
  staticTokens: {
    [A55_DEMO_STATIC_TOKEN]: { clientId: A55_DEMO_STATIC_CLIENT_ID, wallets: [A55_DEMO_WALLET] },
  },
  oauthClients: {
    [A55_DEMO_OAUTH_CLIENT.clientId]: {
      secret: A55_DEMO_OAUTH_CLIENT.clientSecret,
      wallets: [A55_DEMO_WALLET],
    },
  },
});

/** Loads the demo wallets and charges into `store`. */
export const seedDemoCharges = (store: ChargeStore): void => {
  store.add({ chargeUuid: A55_DEMO_CHARGES.cancellable, walletUuid: A55_DEMO_WALLET, status: "pending" });
  store.add({ chargeUuid: A55_DEMO_CHARGES.settled, walletUuid: A55_DEMO_WALLET, status: "settled" });
  store.add({ chargeUuid: A55_DEMO_CHARGES.canceled, walletUuid: A55_DEMO_WALLET, status: "canceled" });
  store.add({ chargeUuid: A55_DEMO_CHARGES.refunded, walletUuid: A55_DEMO_WALLET, status: "refunded" });
  store.add({ chargeUuid: A55_DEMO_CHARGES.orderCharge, walletUuid: A55_DEMO_WALLET, status: "pending" });
  store.add({
    chargeUuid: A55_DEMO_CHARGES.otherWallet,
    walletUuid: A55_DEMO_OTHER_WALLET,
    status: "pending",
  });
};

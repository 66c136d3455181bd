import { describe, expect, it } from "vitest";
import { checkGrant, FULL_GRANT, type Grant, NO_GRANT } from "#core/grants.ts";
import { ROUTE_GRANTS } from "#handlers/http/route-grants.ts";

const WALLET = "3f1c2a9e-6b1d-4c2f-9e0a-1b2c3d4e5f60";
const OTHER_WALLET = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
const storefront: Grant = {
  ...NO_GRANT,
  intents: "write",
  orders: "write",
  charges: "write",
  wallets: [WALLET],
};
const operator: Grant = { ...NO_GRANT, intents: "read", charges: "read", orders: "read", operator: "read" };

/** What `grant` may do on `route` with `subject`, as the handler asks it. */
const verdict = <R extends keyof typeof ROUTE_GRANTS>(
  grant: Grant,
  route: R,
  subject: Parameters<(typeof ROUTE_GRANTS)[R]>[0],
) => checkGrant(grant, ROUTE_GRANTS[route](subject as never));

describe("checkGrant, through the route table", () => {
  it("write includes read; read never cancels; nothing is granted by default", () => {
    expect(verdict(storefront, "order-status", undefined)).toEqual({ allowed: true });
    expect(verdict(operator, "order-status", undefined)).toEqual({ allowed: true });
    expect(verdict(operator, "intent-cancel", undefined)).toEqual({
      allowed: false,
      needs: 'intents: "write"',
    });
    expect(verdict(NO_GRANT, "audit-trail", { type: "charge" })).toEqual({
      allowed: false,
      needs: 'charges: "read"',
    });
  });

  it("a charge is checked against the wallets on both routes that reach A55, case-insensitively", () => {
    const charge = (walletUuid: string) => ({ chargeUuid: "c", walletUuid });
    expect(verdict(storefront, "charge-cancel", { walletUuid: WALLET.toUpperCase() })).toEqual({
      allowed: true,
    });
    expect(verdict(storefront, "charge-cancel", { walletUuid: OTHER_WALLET })).toMatchObject({
      allowed: false,
      wallet: OTHER_WALLET,
    });
    expect(
      verdict(storefront, "order-cancel", { intentId: "i", charge: charge(OTHER_WALLET) }),
    ).toMatchObject({
      allowed: false,
      wallet: OTHER_WALLET,
    });
    expect(verdict(storefront, "order-cancel", { intentId: "i", charge: charge(WALLET) })).toEqual({
      allowed: true,
    });
  });

  it('an order asks only for the parts it names; "*" is every wallet, but never a wallet asked for', () => {
    const intentsOnly: Grant = { ...NO_GRANT, intents: "write", orders: "write" };
    expect(verdict(intentsOnly, "order-cancel", { intentId: "i" })).toEqual({ allowed: true });
    expect(verdict(intentsOnly, "order-cancel", { charge: { walletUuid: WALLET } })).toEqual({
      allowed: false,
      needs: 'charges: "write"',
    });
    expect(verdict(FULL_GRANT, "charge-cancel", { walletUuid: OTHER_WALLET })).toEqual({ allowed: true });
    expect(verdict(FULL_GRANT, "charge-cancel", { walletUuid: "*" })).toMatchObject({ allowed: false });
  });

  it("operator reads are the operator's; bulk is reserved and granted only by name", () => {
    for (const route of ["daily-report", "open-cancellations"] as const) {
      expect(verdict(storefront, route, undefined)).toEqual({ allowed: false, needs: 'operator: "read"' });
      expect(verdict(operator, route, undefined)).toEqual({ allowed: true });
    }
    const write = { kind: "bulk", access: "write" } as const;
    const read = { kind: "bulk", access: "read" } as const;
    expect(checkGrant(storefront, [write])).toEqual({ allowed: false, needs: 'bulk: "write"' });
    expect(checkGrant(storefront, [read])).toEqual({ allowed: false, needs: 'bulk: "read"' });
    expect(checkGrant(FULL_GRANT, [write])).toEqual({ allowed: true });
    // "read" reads jobs and is not "write"; "write" includes "read".
    const reader: Grant = { ...NO_GRANT, bulk: "read" };
    expect(checkGrant(reader, [read])).toEqual({ allowed: true });
    expect(checkGrant(reader, [write])).toEqual({ allowed: false, needs: 'bulk: "write"' });
    expect(checkGrant({ ...NO_GRANT, bulk: "write" }, [read])).toEqual({ allowed: true });
  });
});

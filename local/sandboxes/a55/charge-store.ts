/**
 * The A55 sandbox's wallets and charges, in memory, and the one state transition the
 * seed documents: cancelling a charge. Which statuses answer what follows the seed's
 * status table: cancellable → 200, settled → 409 CANCEL_NOT_ALLOWED, canceled → 409,
 * any other state (failed, refunded) → 400.
 */
import { randomUUID } from "node:crypto";
import { isUuidShape } from "./uuid-shape.ts";

export const CHARGE_STATUSES = [
  "pending",
  "authorized",
  "settled",
  "canceled",
  "failed",
  "refunded",
] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

const CANCELLABLE: ReadonlySet<ChargeStatus> = new Set<ChargeStatus>(["pending", "authorized"]);

export interface StoredCharge {
  chargeUuid: string;
  walletUuid: string;
  status: ChargeStatus;
  /** Epoch ms of the cancel, by the sandbox's clock. */
  canceledAt?: number;
  cancelReason?: string;
}

export interface NewCharge {
  chargeUuid: string;
  walletUuid: string;
  /** Defaults to `pending` (cancellable). */
  status?: ChargeStatus;
}

/** What a cancel request meets. Only `canceled` changed anything. */
export type CancelDecision =
  | { kind: "canceled"; charge: StoredCharge }
  | { kind: "wallet-not-found" }
  | { kind: "charge-not-found" }
  | { kind: "settled"; charge: StoredCharge }
  | { kind: "already-canceled"; charge: StoredCharge }
  | { kind: "not-cancellable"; charge: StoredCharge };

export class ChargeStore {
  readonly #wallets = new Set<string>();
  readonly #charges = new Map<string, StoredCharge>();

  /** Registers an (empty) wallet. Ids are kept lower-case. */
  addWallet(walletUuid: string): void {
    this.#wallets.add(checkedId("walletUuid", walletUuid));
  }

  /** Adds or replaces a charge (and its wallet). Throws `RangeError` on a malformed id or unknown status. */
  add(charge: NewCharge): StoredCharge {
    const status = charge.status ?? "pending";
    if (!(CHARGE_STATUSES as readonly string[]).includes(status)) {
      throw new RangeError(`Unknown charge status "${status}"`);
    }
    const stored: StoredCharge = {
      chargeUuid: checkedId("chargeUuid", charge.chargeUuid),
      walletUuid: checkedId("walletUuid", charge.walletUuid),
      status,
    };
    this.#wallets.add(stored.walletUuid);
    this.#charges.set(stored.chargeUuid, stored);
    return { ...stored };
  }

  /** A copy of the charge, or undefined. */
  get(chargeUuid: string): StoredCharge | undefined {
    const charge = this.#charges.get(chargeUuid.toLowerCase());
    return charge ? { ...charge } : undefined;
  }

  hasWallet(walletUuid: string): boolean {
    return this.#wallets.has(walletUuid.toLowerCase());
  }

  get size(): number {
    return this.#charges.size;
  }

  /** Adds `count` cancellable charges to `walletUuid` (for benchmarks and tests) and returns their ids. */
  generate(count: number, walletUuid: string): string[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError("count must be a non-negative integer");
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(this.add({ chargeUuid: randomUUID(), walletUuid }).chargeUuid);
    return ids;
  }

  /**
   * Cancels a charge of a wallet. A charge of another wallet is reported as not found, so
   * a caller cannot learn which charges exist elsewhere.
   */
  cancel(walletUuid: string, chargeUuid: string, reason: string | undefined, at: number): CancelDecision {
    if (!this.hasWallet(walletUuid)) return { kind: "wallet-not-found" };
    const charge = this.#charges.get(chargeUuid.toLowerCase());
    if (!charge || charge.walletUuid !== walletUuid.toLowerCase()) return { kind: "charge-not-found" };
    if (charge.status === "settled") return { kind: "settled", charge: { ...charge } };
    if (charge.status === "canceled") return { kind: "already-canceled", charge: { ...charge } };
    if (!CANCELLABLE.has(charge.status)) return { kind: "not-cancellable", charge: { ...charge } };
    charge.status = "canceled";
    charge.canceledAt = at;
    if (reason !== undefined) charge.cancelReason = reason;
    return { kind: "canceled", charge: { ...charge } };
  }
}

const checkedId = (field: string, value: string): string => {
  if (!isUuidShape(value)) throw new RangeError(`${field} must be a UUID (8-4-4-4-12 hex)`);
  return value.toLowerCase();
};

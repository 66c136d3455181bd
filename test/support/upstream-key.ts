/**
 * Steering the A55 `Idempotency-Key` the service sends, to provoke A55's own final
 * refusals through the real handler and the real sandbox: a key A55 refuses (its 422) or a
 * key already spent on another request (its 409 IDEMPOTENCY_KEY_REUSED).
 */
import { randomUUID } from "node:crypto";
import { A55_DEMO_STATIC_TOKEN, A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import type { Container } from "#wiring/container.ts";
import type { HandlerKit } from "./handler-kit.ts";

/** A UUID v5 (not v4, as seed 001 asks): A55 and its sandbox answer it 422. */
export const NOT_V4_KEY = "6f1c2a4e-9d1b-5c3e-8f00-0123456789ab";

/**
 * Makes the container derive `key` for every A55 cancel until the returned function is
 * called (ULIDs are left as they are).
 */
export const forceUpstreamKey = (container: Container, key: string): (() => void) => {
  const ids = container.deps.ids;
  container.deps.ids = { next: () => ids.next(), derived: () => key };
  return () => {
    container.deps.ids = ids;
  };
};

/** A fresh v4 key already used at the A55 sandbox to cancel another charge. */
export const keySpentAtA55 = async (kit: HandlerKit): Promise<string> => {
  const key = randomUUID();
  const other = kit.newCharge("pending");
  const response = await fetch(
    `${kit.a55.url}/api/v1/bank/wallet/charge/${other}/cancel/${A55_DEMO_WALLET}/`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${A55_DEMO_STATIC_TOKEN}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: "{}",
    },
  );
  if (response.status !== 200) throw new Error(`could not spend the key at the sandbox: ${response.status}`);
  return key;
};

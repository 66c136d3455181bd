/**
 * The targets a simulation run (run-simulation.ts) cancels: A55 charges and Procure-Core
 * intents added to the sandboxes for the run (an intent optionally created in the past, for
 * the sweep), and the even mix of the two its bus and HTTP callers ask for.
 */
import { randomUUID } from "node:crypto";
import type { SimTarget } from "./load.ts";
import { SERVICE_PROCURE_CORE_APP, SIM_WALLET, type SimulatedService } from "./simulated-service.ts";

/** A new charge or intent in its sandbox, cancellable by the service. */
export const newTarget = (
  service: SimulatedService,
  type: "intent" | "charge",
  createdAt?: number,
): SimTarget => {
  if (type === "charge") {
    return {
      type,
      id: service.a55.charges.add({ chargeUuid: randomUUID(), walletUuid: SIM_WALLET }).chargeUuid,
    };
  }
  const id = `sim_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
  service.procureCore.intents.add({
    id,
    appId: SERVICE_PROCURE_CORE_APP,
    status: "SUBMITTED",
    ...(createdAt === undefined ? {} : { createdAt }),
  });
  return { type, id };
};

/** Picks charge or intent so that `share` of the first n picks are charges, evenly spread. */
export const mixer = (share: number) => {
  let n = 0;
  return (): "intent" | "charge" => {
    n += 1;
    return Math.floor(n * share) > Math.floor((n - 1) * share) ? "charge" : "intent";
  };
};

/**
 * The simulation's traffic: a burst of `Cancel Requested` events put on the bus (PutEvents,
 * 10 entries a call, as EventBridge takes them) and HTTP cancels at a steady rate, signed
 * (intents) or with the storefront's bearer token (charges), each for its own target.
 */
import { randomUUID } from "node:crypto";
import { signRequest } from "#adapters/http/request-signature.ts";
import { SIM_APP, SIM_CLIENT_TOKEN, SIM_WALLET } from "./simulated-service.ts";

export type SimTarget = { type: "intent"; id: string } | { type: "charge"; id: string };

export interface BusCancel {
  eventId: string;
  target: SimTarget;
}

export interface HttpSample {
  target: SimTarget;
  /** Epoch ms the request was sent. */
  sentAt: number;
  latencyMs: number;
  /** 0 when no answer came (connection error). */
  status: number;
}

const detailOf = (target: SimTarget) =>
  target.type === "intent"
    ? { type: "intent", id: target.id }
    : { type: "charge", chargeUuid: target.id, walletUuid: SIM_WALLET };

/** Puts one `Cancel Requested` event per target on the bus; resolves with each event's id. */
export const putBurst = async (url: string, targets: readonly SimTarget[]): Promise<BusCancel[]> => {
  const chunks: SimTarget[][] = [];
  for (let i = 0; i < targets.length; i += 10) chunks.push(targets.slice(i, i + 10));
  const cancels: BusCancel[] = [];
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as SimTarget[];
      const response = await fetch(`${url}/events`, {
        method: "POST",
        body: JSON.stringify({
          Entries: chunk.map((target) => ({
            Source: "storefront.orders",
            DetailType: "Cancel Requested",
            Detail: JSON.stringify({
              target: detailOf(target),
              reason: "simulation burst",
              idempotencyKey: `sim-${randomUUID()}`,
            }),
            EventBusName: "cancellation-simulation",
          })),
        }),
      });
      const answer = (await response.json()) as { FailedEntryCount: number; Entries: { EventId?: string }[] };
      if (answer.FailedEntryCount !== 0)
        throw new Error(`PutEvents refused entries: ${JSON.stringify(answer)}`);
      for (const [i, target] of chunk.entries()) {
        cancels.push({ eventId: answer.Entries[i]?.EventId ?? "", target });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  return cancels;
};

/** Sends one HTTP cancel for `target`, as the storefront would. */
export const sendHttpCancel = async (url: string, target: SimTarget): Promise<HttpSample> => {
  const sentAt = Date.now();
  const body = JSON.stringify({ reason: "simulation" });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "idempotency-key": randomUUID(),
  };
  let path: string;
  if (target.type === "intent") {
    path = `/api/v1/intents/${target.id}/cancel`;
    Object.assign(
      headers,
      signRequest(
        { appId: SIM_APP.appId, appSecret: SIM_APP.secret },
        { method: "POST", pathAndQuery: path, body },
        sentAt,
      ),
    );
  } else {
    path = `/api/v1/bank/wallet/charge/${target.id}/cancel/${SIM_WALLET}/`;
    headers.authorization = `Bearer ${SIM_CLIENT_TOKEN}`;
  }
  try {
    const response = await fetch(`${url}${path}`, { method: "POST", headers, body });
    await response.arrayBuffer();
    return { target, sentAt, latencyMs: Date.now() - sentAt, status: response.status };
  } catch {
    return { target, sentAt, latencyMs: Date.now() - sentAt, status: 0 };
  }
};

/**
 * Sends `perSecond` cancels a second for `seconds`, on a fixed schedule (open loop: a slow
 * answer does not slow the next request down, as real callers do not wait for each other).
 */
export const runHttpLoad = async (
  url: string,
  perSecond: number,
  seconds: number,
  nextTarget: () => SimTarget,
  onSample: (sample: HttpSample) => void,
): Promise<void> => {
  const total = Math.round(perSecond * seconds);
  const startedAt = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = startedAt + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(sendHttpCancel(url, nextTarget()).then(onSample));
  }
  await Promise.all(inFlight);
};

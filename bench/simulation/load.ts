/**
 * The simulation's traffic: a burst of `Cancel Requested` events put on the bus (PutEvents,
 * 10 entries a call, as EventBridge takes them) and HTTP cancels at a steady rate, signed
 * (intents) or with the storefront's bearer token (charges), each for its own target.
 */
import { randomUUID } from "node:crypto";
import { signRequest } from "#adapters/http/request-signature.ts";
import { percentile } from "../support/stats.ts";
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

/**
 * Warms the HTTP function's containers before the clock starts: `requests` signed status reads
 * of orders that do not exist (404), `concurrency` at a time, so every container has started and
 * DynamoDB Local has compiled its read path. Nothing reaches an upstream or the budget.
 */
export const warmUpHttp = async (url: string, requests: number, concurrency: number): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next++;
      const path = `/api/v1/orders/warm-up-${randomUUID()}/cancellation`;
      const headers = signRequest(
        { appId: SIM_APP.appId, appSecret: SIM_APP.secret },
        { method: "GET", pathAndQuery: path, body: "" },
        Date.now(),
      );
      const response = await fetch(`${url}${path}`, { headers });
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
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

export interface LatencyWindow {
  /** Seconds from the run's start to the window's start. */
  fromSecond: number;
  count: number;
  rateLimited: number;
  p50: number;
  p99: number;
  max: number;
}

/** HTTP latency by `seconds`-long window of send time, so a slow stretch shows when it happened. */
export const latencyByWindow = (
  samples: readonly HttpSample[],
  startedAt: number,
  seconds: number,
): LatencyWindow[] => {
  const windows = new Map<number, HttpSample[]>();
  for (const sample of samples) {
    const index = Math.floor((sample.sentAt - startedAt) / (seconds * 1000));
    windows.set(index, [...(windows.get(index) ?? []), sample]);
  }
  return [...windows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, inWindow]) => {
      const latencies = inWindow.map((s) => s.latencyMs);
      return {
        fromSecond: index * seconds,
        count: inWindow.length,
        rateLimited: inWindow.filter((s) => s.status === 429).length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
      };
    });
};

import { afterEach, describe, expect, it, vi } from "vitest";
import { RequestRateGate } from "#adapters/http/request-rate-gate.ts";

/** A gate on a fake clock whose sleep just moves the clock, recording when each request was let through. */
const gateOnFakeClock = (maxPerMinute: number) => {
  let now = 0;
  const sent: number[] = [];
  const gate = new RequestRateGate({
    maxPerMinute,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await gate.acquire();
      sent.push(now);
    }
  };
  return { gate, sent, send, now: () => now };
};

const maxInAnyMinute = (times: number[]): number =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 60_000).length));

describe("RequestRateGate", () => {
  it("never lets more than the limit through in any one-minute window", async () => {
    const { gate, sent, send } = gateOnFakeClock(90);
    await send(400);
    expect(maxInAnyMinute(sent)).toBe(90);
    expect(gate.peakPerMinute).toBe(90);
    // 400 requests at 90 a minute need at least four full windows.
    expect(sent.at(-1)).toBeGreaterThanOrEqual(4 * 60_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds concurrent callers to the same limit", async () => {
    // Real timers' semantics on a fake clock, so that concurrent sleepers share one time line.
    vi.useFakeTimers({ now: 0 });
    const gate = new RequestRateGate({ maxPerMinute: 10 });
    const sent: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 10; i++) {
        await gate.acquire();
        sent.push(Date.now());
      }
    };
    const all = Promise.all([worker(), worker(), worker()]);
    await vi.runAllTimersAsync();
    await all;
    expect(sent).toHaveLength(30);
    expect(maxInAnyMinute(sent)).toBe(10);
  });

  it("spreads what the upstream says remains when X-RateLimit-Remaining runs low", async () => {
    const { gate, sent, send } = gateOnFakeClock(1_000);
    gate.observe({ limit: 100, remaining: 5, resetAt: 50_000 });
    await send(5);
    // Five requests left for 50 s: about one every 10 s rather than all at once.
    expect(sent.at(-1)).toBeGreaterThanOrEqual(40_000);
    await send(1);
    // None left: wait for the upstream's window to reset.
    expect(sent.at(-1)).toBeGreaterThanOrEqual(50_000);
  });

  it("goes at full speed while the upstream has plenty left", async () => {
    const { gate, sent, send } = gateOnFakeClock(1_000);
    gate.observe({ limit: 100, remaining: 90, resetAt: 60_000 });
    await send(20);
    expect(sent.at(-1)).toBe(0);
  });
});

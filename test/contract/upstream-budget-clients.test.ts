/**
 * Both upstream clients against their sandboxes, with a budget that records what it is
 * asked: every HTTP attempt takes a slot first — retries, the attempt after a 401 refresh,
 * and A55's token request included — with the call's priority, the client it counts
 * against and the call's deadline; every answer is shown to it; a refusal reaches the
 * caller as it is, with nothing sent; and a 429 left when retries or time ran out is
 * `UpstreamRateLimitedError` carrying the upstream's own `Retry-After`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { A55Client } from "#adapters/a55/a55-client.ts";
import { STATIC_TOKEN_CLIENT } from "#adapters/a55/token-source.ts";
import type { AnswerObservation, SlotRequest, UpstreamBudget } from "#adapters/budget/upstream-budget.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import { type RunningA55Sandbox, startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import {
  A55_DEMO_CHARGES,
  A55_DEMO_OAUTH_CLIENT,
  A55_DEMO_STATIC_TOKEN,
  A55_DEMO_WALLET,
} from "#local/sandboxes/a55/demo-charges.ts";
import { DEFAULT_DEMO_SECRET, DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { countingCredentials, TestClock, testRetryPolicy } from "./a55-kit.ts";

/** A budget that admits everything (or refuses from the n-th take on) and records every call. */
const recordingBudget = (refuseFrom = Number.POSITIVE_INFINITY) => {
  const takes: Omit<SlotRequest, "signal">[] = [];
  const answers: Pick<AnswerObservation, "upstream" | "client" | "status">[] = [];
  const budget: UpstreamBudget = {
    take: async ({ signal: _signal, ...request }) => {
      takes.push(request);
      if (takes.length >= refuseFrom) {
        throw new UpstreamRateLimitedError({
          upstream: request.upstream,
          retryable: true,
          source: "budget",
          retryAfterSeconds: 12.5,
          message: "spent",
        });
      }
    },
    observe: ({ upstream, client, status }) => void answers.push({ upstream, client, status }),
  };
  return { budget, takes, answers };
};

/** A fetch that makes the sandbox answer 500 to the first `failures` requests it sends. */
const failingFirst = (
  failures: number,
  faults: () => { update(changes: { errorRate: number }): unknown },
): typeof fetch => {
  let sent = 0;
  return (input, init) => {
    faults().update({ errorRate: sent++ < failures ? 1 : 0 });
    return fetch(input, init);
  };
};

const KEY = "550e8400-e29b-41d4-a716-446655440000";
const cancelRequest = {
  chargeUuid: A55_DEMO_CHARGES.cancellable,
  walletUuid: A55_DEMO_WALLET,
  idempotencyKey: KEY,
};

describe("A55Client takes a budget slot for every attempt", () => {
  const clock = new TestClock();
  let sandbox: RunningA55Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  const clientOf = async (kind: "static" | "oauth", budget: UpstreamBudget, fetchWith?: typeof fetch) => {
    sandbox = await startA55Sandbox({ now: clock.now });
    const settings =
      kind === "static"
        ? { baseUrl: sandbox.url, accessToken: A55_DEMO_STATIC_TOKEN }
        : {
            baseUrl: sandbox.url,
            tokenUrl: sandbox.tokenUrl,
            clientId: A55_DEMO_OAUTH_CLIENT.clientId,
            clientSecret: A55_DEMO_OAUTH_CLIENT.clientSecret,
          };
    const { policy, sleeps } = testRetryPolicy(clock);
    return {
      a55: new A55Client({
        credentials: countingCredentials(settings),
        retryPolicy: policy,
        budget,
        now: clock.now,
        ...(fetchWith ? { fetch: fetchWith } : {}),
      }),
      sleeps,
      sandbox,
    };
  };

  it("the token request and the cancel each take one, counted against the OAuth client, with the call's priority and deadline", async () => {
    // Prepare
    const { budget, takes, answers } = recordingBudget();
    const { a55 } = await clientOf("oauth", budget);
    const deadline = clock.ms + 20_000;

    // Act
    const result = await a55.cancelCharge(cancelRequest, { deadline, priority: "interactive" });

    // Assess
    expect(result.kind).toBe("cancelled");
    const slot = {
      upstream: "a55",
      client: A55_DEMO_OAUTH_CLIENT.clientId,
      priority: "interactive",
      deadline,
    };
    expect(takes).toEqual([slot, slot]);
    expect(answers).toEqual([
      { upstream: "a55", client: A55_DEMO_OAUTH_CLIENT.clientId, status: 200 },
      { upstream: "a55", client: A55_DEMO_OAUTH_CLIENT.clientId, status: 200 },
    ]);
  });

  it("every retry takes one too (500, 500, 200: three slots), background by default", async () => {
    // Prepare
    const { budget, takes } = recordingBudget();
    const { a55, sandbox: running } = await clientOf(
      "static",
      budget,
      failingFirst(2, () => (sandbox as RunningA55Sandbox).faults),
    );

    // Act
    const result = await a55.cancelCharge(cancelRequest, { deadline: clock.ms + 60_000 });

    // Assess
    expect(result.kind).toBe("cancelled");
    expect(running.seen().map((request) => request.status)).toEqual([500, 500, 200]);
    expect(takes.map((take) => [take.client, take.priority])).toEqual([
      [STATIC_TOKEN_CLIENT, undefined],
      [STATIC_TOKEN_CLIENT, undefined],
      [STATIC_TOKEN_CLIENT, undefined],
    ]);
  });

  it("a 401 renew-and-retry takes a slot for the token request and the second attempt", async () => {
    // Prepare: the first token is revoked before the cancel goes out.
    const { budget, takes } = recordingBudget();
    const { a55, sandbox: running } = await clientOf("oauth", budget);
    await a55.cancelCharge(
      {
        ...cancelRequest,
        chargeUuid: A55_DEMO_CHARGES.settled,
        idempotencyKey: "6f1c2a4e-9d1b-5c3e-8f00-0123456789ab",
      },
      { deadline: clock.ms + 20_000 },
    );
    running.tokens.revokeIssued();
    takes.length = 0;

    // Act
    const result = await a55.cancelCharge(cancelRequest, { deadline: clock.ms + 20_000 });

    // Assess: cancel (401), token, cancel (200).
    expect(result.kind).toBe("cancelled");
    expect(
      running
        .seen()
        .slice(-3)
        .map((request) => [request.path, request.status]),
    ).toEqual([
      [expect.stringContaining("/cancel/"), 401],
      ["/oauth/token", 200],
      [expect.stringContaining("/cancel/"), 200],
    ]);
    expect(takes).toHaveLength(3);
  });

  it("a refusal reaches the caller as it is, and nothing is sent", async () => {
    // Prepare
    const { budget } = recordingBudget(1);
    const { a55, sandbox: running } = await clientOf("static", budget);

    // Act
    const failure = await a55
      .cancelCharge(cancelRequest, { deadline: clock.ms + 20_000 })
      .catch((error) => error);

    // Assess
    expect(failure).toBeInstanceOf(UpstreamRateLimitedError);
    expect(failure).toMatchObject({ source: "budget", retryAfterSeconds: 12.5 });
    expect(running.seen()).toEqual([]);
  });

  it("a 429 beyond the deadline is UpstreamRateLimitedError with A55's own Retry-After", async () => {
    // Prepare: A55 refuses with Retry-After 45; 10 s left.
    const { budget, answers } = recordingBudget();
    const { a55, sandbox: running, sleeps } = await clientOf("static", budget);
    running.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 45 });

    // Act
    const failure = await a55
      .cancelCharge(cancelRequest, { deadline: clock.ms + 10_000 })
      .catch((error) => error);

    // Assess
    expect(failure).toBeInstanceOf(UpstreamRateLimitedError);
    expect(failure).toMatchObject({
      source: "upstream",
      retryAfterSeconds: 45,
      httpStatus: 429,
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
    expect(answers.map((answer) => answer.status)).toEqual([429]);
  });
});

describe("ProcureCoreClient takes a budget slot for every attempt", () => {
  const clock = new TestClock();
  let sandbox: RunningProcureCoreSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  const clientOf = async (budget: UpstreamBudget, secret = DEFAULT_DEMO_SECRET, fetchWith?: typeof fetch) => {
    sandbox = await startProcureCoreSandbox({ now: clock.now });
    const url = sandbox.url;
    let refreshed = false;
    const { policy, sleeps } = testRetryPolicy(clock);
    return {
      client: new ProcureCoreClient({
        credentials: {
          get: async () => ({
            baseUrl: url,
            appId: DEMO_APP_ID,
            appSecret: refreshed ? DEFAULT_DEMO_SECRET : secret,
          }),
          refresh: async () => {
            refreshed = true;
            return { baseUrl: url, appId: DEMO_APP_ID, appSecret: DEFAULT_DEMO_SECRET };
          },
        },
        retryPolicy: policy,
        budget,
        now: clock.now,
        ...(fetchWith ? { fetch: fetchWith } : {}),
      }),
      sandbox,
      sleeps,
    };
  };

  it("takes one per attempt, counted against the app id, with the call's priority and deadline", async () => {
    // Prepare: one 500 first.
    const { budget, takes, answers } = recordingBudget();
    const { client } = await clientOf(
      budget,
      DEFAULT_DEMO_SECRET,
      failingFirst(1, () => (sandbox as RunningProcureCoreSandbox).faults),
    );
    const deadline = clock.ms + 30_000;

    // Act
    const result = await client.cancelIntent("intent_67890", { deadline, priority: "background" });

    // Assess
    expect(result.kind).toBe("accepted");
    const slot = { upstream: "procure-core", client: DEMO_APP_ID, priority: "background", deadline };
    expect(takes).toEqual([slot, slot]);
    expect(answers.map((answer) => answer.status)).toEqual([500, 200]);
  });

  it("a 401 refresh-and-retry takes a second slot", async () => {
    // Prepare: the first secret is wrong, the refreshed one right.
    const { budget, takes } = recordingBudget();
    const { client } = await clientOf(budget, "wrong-secret");

    // Act
    const result = await client.getIntent("intent_67890", {
      deadline: clock.ms + 30_000,
      priority: "interactive",
    });

    // Assess
    expect(result.kind).toBe("found");
    expect(takes.map((take) => take.priority)).toEqual(["interactive", "interactive"]);
  });

  it("a refusal reaches the caller as it is, and nothing is sent", async () => {
    const { budget } = recordingBudget(1);
    const { client, sandbox: running } = await clientOf(budget);

    const failure = await client
      .cancelIntent("intent_67890", { deadline: clock.ms + 30_000 })
      .catch((e) => e);

    expect(failure).toBeInstanceOf(UpstreamRateLimitedError);
    expect(failure).toMatchObject({ source: "budget", retryAfterSeconds: 12.5 });
    expect(running.requests.count()).toBe(0);
    expect(running.intents.get("intent_67890")?.status).toBe("SUBMITTED");
  });

  it("a 429 beyond the deadline is UpstreamRateLimitedError with Procure-Core's own Retry-After", async () => {
    // Prepare: Retry-After 45; 10 s left.
    const { budget } = recordingBudget();
    const { client, sandbox: running, sleeps } = await clientOf(budget);
    running.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 45 });

    // Act
    const failure = await client
      .cancelIntent("intent_67890", { deadline: clock.ms + 10_000 })
      .catch((e) => e);

    // Assess
    expect(failure).toBeInstanceOf(UpstreamRateLimitedError);
    expect(failure).toMatchObject({
      source: "upstream",
      retryAfterSeconds: 45,
      httpStatus: 429,
      code: 42900,
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
  });
});

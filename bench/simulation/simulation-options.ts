/**
 * What a simulation run does, from `npm run simulate -- <flags>`. Defaults are issue 11's
 * full run; every size and duration is a flag, so a short run is one command.
 */
import { parseArgs } from "node:util";
import { DEFAULT_BACKGROUND_BUDGET_SHARE } from "#wiring/config.ts";

export interface UpstreamLimit {
  /** Requests per window and client, as the sandbox enforces it. */
  limit: number;
  /** The window, seconds (60 as documented; shorter only to scale a run down in time). */
  windowSeconds: number;
}

export interface SimulationOptions {
  /** `Cancel Requested` events put on the bus at once, at the start. */
  busCancels: number;
  /** Share of the bus cancels that are charges (A55); the rest are intents (Procure-Core). */
  busChargeShare: number;
  /** HTTP cancels per second while the run lasts (0: none). */
  httpPerSecond: number;
  /** Share of the HTTP cancels that are charges. */
  httpChargeShare: number;
  /** How long HTTP load runs, and the shortest the run lasts, seconds. */
  durationSeconds: number;
  /** Expired SUBMITTED intents the sweep finds (0: no sweep). */
  sweepIntents: number;
  /** Intents of one bulk cancellation job submitted over HTTP at the start (0: none). */
  bulkItems: number;
  a55: UpstreamLimit;
  procureCore: UpstreamLimit;
  /** After the load: wait until the bus queue is empty (at most `maxDrainSeconds`). */
  drain: boolean;
  maxDrainSeconds: number;
  /**
   * The background (bus, sweep) share of each upstream's limit the drain rate is compared
   * with. 1 until the shared budget is configured; set it to the budget's background share.
   */
  backgroundShare: number;
  /** Containers per function, over local/stack/local-functions.ts's table, e.g. `{ "http-api": 8 }`. */
  workers: Record<string, number>;
  /** Extra variables for every function (e.g. the budget's settings), `NAME=VALUE`. */
  env: Record<string, string>;
  /** Write the report as JSON here. */
  jsonFile?: string;
  /** Seconds between progress lines (0: none). */
  progressEverySeconds: number;
  /** DynamoDB Local to use; default: start a private one. */
  dynamoEndpoint?: string;
}

export const DEFAULTS: SimulationOptions = {
  busCancels: 5_000,
  busChargeShare: 0.5,
  httpPerSecond: 20,
  httpChargeShare: 0.5,
  durationSeconds: 300,
  sweepIntents: 2_000,
  bulkItems: 0,
  a55: { limit: 100, windowSeconds: 60 },
  procureCore: { limit: 300, windowSeconds: 60 },
  drain: false,
  maxDrainSeconds: 1_800,
  backgroundShare: DEFAULT_BACKGROUND_BUDGET_SHARE,
  workers: {},
  env: {},
  progressEverySeconds: 15,
};

export const USAGE = `Usage: npm run simulate [-- flags]

Runs the service the way Lambda runs it (every function in its own containers, the bus on its
SQS work queue) against both sandboxes with their rate limits, under load, and reports.

  --burst <n>              only the burst: n Cancel Requested events for distinct charges at
                           once, no HTTP, no sweep, until the queue is empty (issue 11's 1,000)
  --bus <n>                bus cancels at once (default 5000); --bus-charges <0..1> (0.5)
  --http-rps <n>           HTTP cancels per second (default 20); --http-charges <0..1> (0.5)
  --duration <s>           seconds of HTTP load (default 300)
  --sweep <n>              expired intents for the sweep (default 2000)
  --bulk <n>               one bulk cancellation job of n intents, submitted at the start (default
                           0); the run then waits for the job to end (at most --max-drain)
  --a55-limit <n>          A55 requests per window (default 100, as documented)
  --procure-core-limit <n> Procure-Core requests per window (default 300; it publishes none)
  --window <s>             both limits' window (default 60; shorter scales a run down in time)
  --drain                  after the load, wait until the bus queue is empty
  --max-drain <s>          longest drain (default 1800)
  --background-share <x>   the budget's background share: the service's BACKGROUND_BUDGET_SHARE,
                           and what the drain rate is compared with (default: --env's, else 0.6)
  --workers <list>         containers per function, e.g. http-api=8,cancel-requested=5
  --env NAME=VALUE         a variable for every function (repeatable), e.g. the budget's settings
  --json <file>            also write the report as JSON
  --progress <s>           seconds between progress lines (default 15; 0: none)
  -h, --help               this text`;

const number = (flag: string, raw: string | undefined, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${flag} must be a number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
};

const pairs = (flag: string, values: readonly string[], pattern: RegExp): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const value of values.flatMap((v) => v.split(","))) {
    const match = pattern.exec(value.trim());
    if (!match?.[1] || match[2] === undefined) throw new Error(`--${flag} takes NAME=VALUE (got "${value}")`);
    out[match[1]] = match[2];
  }
  return out;
};

/** @throws Error naming the flag that is malformed */
export const parseSimulationArgs = (argv: readonly string[]): SimulationOptions | "help" => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      burst: { type: "string" },
      bus: { type: "string" },
      "bus-charges": { type: "string" },
      "http-rps": { type: "string" },
      "http-charges": { type: "string" },
      duration: { type: "string" },
      sweep: { type: "string" },
      bulk: { type: "string" },
      "a55-limit": { type: "string" },
      "procure-core-limit": { type: "string" },
      window: { type: "string" },
      drain: { type: "boolean" },
      "max-drain": { type: "string" },
      "background-share": { type: "string" },
      workers: { type: "string", multiple: true },
      env: { type: "string", multiple: true },
      json: { type: "string" },
      progress: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const window = number("window", values.window, 1, 3_600) ?? 60;
  const burst = number("burst", values.burst, 1, 100_000);
  const workers = Object.fromEntries(
    Object.entries(pairs("workers", values.workers ?? [], /^([a-z][a-z0-9-]*)=(\d+)$/)).map(([k, v]) => [
      k,
      Number(v),
    ]),
  );
  const env = pairs("env", values.env ?? [], /^([A-Z][A-Z0-9_]*)=(.*)$/);
  const options: SimulationOptions = {
    ...DEFAULTS,
    busCancels: number("bus", values.bus, 0, 100_000) ?? DEFAULTS.busCancels,
    busChargeShare: number("bus-charges", values["bus-charges"], 0, 1) ?? DEFAULTS.busChargeShare,
    httpPerSecond: number("http-rps", values["http-rps"], 0, 1_000) ?? DEFAULTS.httpPerSecond,
    httpChargeShare: number("http-charges", values["http-charges"], 0, 1) ?? DEFAULTS.httpChargeShare,
    durationSeconds: number("duration", values.duration, 0, 86_400) ?? DEFAULTS.durationSeconds,
    sweepIntents: number("sweep", values.sweep, 0, 100_000) ?? DEFAULTS.sweepIntents,
    bulkItems: number("bulk", values.bulk, 0, 10_000) ?? DEFAULTS.bulkItems,
    a55: {
      limit: number("a55-limit", values["a55-limit"], 1, 1_000_000) ?? DEFAULTS.a55.limit,
      windowSeconds: window,
    },
    procureCore: {
      limit:
        number("procure-core-limit", values["procure-core-limit"], 1, 1_000_000) ??
        DEFAULTS.procureCore.limit,
      windowSeconds: window,
    },
    drain: values.drain === true,
    maxDrainSeconds: number("max-drain", values["max-drain"], 1, 86_400) ?? DEFAULTS.maxDrainSeconds,
    backgroundShare:
      number("background-share", values["background-share"], 0.01, 1) ??
      number("env BACKGROUND_BUDGET_SHARE", env.BACKGROUND_BUDGET_SHARE, 0.01, 1) ??
      DEFAULTS.backgroundShare,
    workers,
    env,
    ...(values.json ? { jsonFile: values.json } : {}),
    progressEverySeconds: number("progress", values.progress, 0, 3_600) ?? DEFAULTS.progressEverySeconds,
  };
  if (burst !== undefined) {
    // Issue 11's measurement: distinct charges at once, nothing else, until the queue is empty.
    return {
      ...options,
      busCancels: burst,
      busChargeShare: 1,
      httpPerSecond: 0,
      sweepIntents: 0,
      durationSeconds: 0,
      drain: true,
    };
  }
  return options;
};

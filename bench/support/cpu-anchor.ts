/**
 * CPU per cancel of this commit beside an earlier one, in one run: the cpu-per-cancel
 * suite of each checkout (its own code, its own in-memory doubles) run in processes of
 * their own, alternated anchor / current ROUNDS times so the machine's load falls on both
 * alike; each variant's figure is the median over the rounds. The anchor is the last main
 * before the shared budget (f785dcd, 2026-11-23): the "79 µs two rounds ago";
 * `CPU_PER_CANCEL_ANCHOR=<commit> npm run bench -- --only cpu-per-cancel` compares with another.
 */
import { checkOutAnchor, runSuiteIn } from "./anchor-checkout.ts";
import { median } from "./stats.ts";
import { figure, type Metric, type SuiteOutcome } from "./suite.ts";

/** `off` in the current checkout's own runs, so they do not start an anchor of their own; or another commit to compare with. */
export const NO_ANCHOR_ENV = "CPU_PER_CANCEL_ANCHOR";
export const ANCHOR_COMMIT = process.env[NO_ANCHOR_ENV] || "f785dcd";
const ROUNDS = 3;

const VARIANTS = {
  core: "core cancelIntent (runOnce, in-memory) CPU",
  route: "http route code (in-memory ports) CPU",
  handler: "exported http handler (middy, in-memory) CPU",
} as const;
type Variant = keyof typeof VARIANTS;

const metricValue = (outcome: SuiteOutcome, name: string): number => {
  const value = outcome.metrics.find((metric) => metric.name === name)?.value;
  if (typeof value !== "number") throw new Error(`cpu anchor: no "${name}" in the outcome`);
  return value;
};

export interface AnchorComparison {
  metrics: Metric[];
  /** Per variant: this commit and the anchor, medians of the alternated runs, and their ratio. */
  rows: string[][];
  details: Record<string, unknown>;
  notes: string[];
}

export const compareWithAnchor = async (progress: (message: string) => void): Promise<AnchorComparison> => {
  const { checkout, unavailable } = await checkOutAnchor(ANCHOR_COMMIT);
  if (!checkout) {
    return {
      metrics: [figure(`anchor ${ANCHOR_COMMIT}`, "unavailable")],
      rows: [],
      details: {},
      notes: [unavailable ?? ""],
    };
  }
  const runs: Record<"anchor" | "current", Record<Variant, number[]>> = {
    anchor: { core: [], route: [], handler: [] },
    current: { core: [], route: [], handler: [] },
  };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      progress(`anchor ${ANCHOR_COMMIT} and this commit, alternated: round ${round} of ${ROUNDS}`);
      const anchor = await runSuiteIn(checkout.dir, "cpu-per-cancel", { [NO_ANCHOR_ENV]: "off" });
      const current = await runSuiteIn(process.cwd(), "cpu-per-cancel", { [NO_ANCHOR_ENV]: "off" });
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        runs.anchor[variant].push(metricValue(anchor, VARIANTS[variant]));
        runs.current[variant].push(metricValue(current, VARIANTS[variant]));
      }
    }
  } finally {
    await checkout.remove();
  }
  const at = (side: "anchor" | "current", variant: Variant) => median(runs[side][variant]);
  const metrics: Metric[] = [];
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    metrics.push(
      figure(
        `${variant}: this commit / anchor ${ANCHOR_COMMIT} (${at("current", variant).toFixed(1)} / ${at("anchor", variant).toFixed(1)} µs, median of ${ROUNDS} alternated runs)`,
        at("current", variant) / at("anchor", variant),
        "×",
        2,
      ),
    );
  }
  const grew = (Object.keys(VARIANTS) as Variant[])
    .map((variant) => `${variant} ${(at("current", variant) - at("anchor", variant)).toFixed(1)} µs`)
    .join(", ");
  const rows = (Object.keys(VARIANTS) as Variant[]).map((variant) => [
    variant,
    `${at("current", variant).toFixed(1)} µs`,
    `${at("anchor", variant).toFixed(1)} µs`,
    `${(at("current", variant) / at("anchor", variant)).toFixed(2)} ×`,
  ]);
  return {
    metrics,
    rows,
    notes: [`cpu-per-cancel: grown since ${ANCHOR_COMMIT} (same run, medians): ${grew}`],
    details: { anchorCommit: ANCHOR_COMMIT, rounds: ROUNDS, runsUs: runs },
  };
};

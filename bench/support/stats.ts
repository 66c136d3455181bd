/** Order statistics of latency samples: medians and tails, never means alone (noisy shared machine). */

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (`p` in 0–100) of unsorted samples. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
};

export const median = (samples: readonly number[]): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export const summarize = (samples: readonly number[], digits = 3): Summary => {
  const fix = (value: number): number => Number(value.toFixed(digits));
  return {
    count: samples.length,
    min: fix(Math.min(...samples)),
    p50: fix(median(samples)),
    p90: fix(percentile(samples, 90)),
    p99: fix(percentile(samples, 99)),
    max: fix(Math.max(...samples)),
    mean: fix(samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length)),
  };
};

/** How often each value occurs, e.g. DynamoDB round trips per cancel: `{ "2": 600 }`. */
export const histogram = (values: readonly number[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
};

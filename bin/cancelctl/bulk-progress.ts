/**
 * `cancelctl bulk submit --wait`'s progress: done / total, the rate measured by cancelctl
 * itself over the last half minute of polls, and the time left at that rate (the service's
 * estimate from the budget's background share until there is a rate). On a terminal it is
 * one bar redrawn in place; otherwise a plain line whenever it changed, at most every 10 s.
 */

/** What one status answer says about progress. */
export interface ProgressSample {
  /** Epoch ms of the answer. */
  at: number;
  done: number;
  total: number;
  state: string;
  /** The service's estimate (`estimatedSecondsLeft`), when it gave one. */
  estimatedSecondsLeft?: number;
}

/** How far back the rate looks: long enough to smooth the driver's minute, short enough to follow a change. */
const RATE_WINDOW_MS = 30_000;
const BAR_WIDTH = 28;
const PLAIN_EVERY_MS = 10_000;

const count = (n: number): string => n.toLocaleString("en-US");

/** `95 s`, `4 min 05 s`, `1 h 12 min`. */
export const durationText = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
};

/** Items a second over the samples of the last {@link RATE_WINDOW_MS}; undefined before two samples apart. */
export const rateOf = (samples: readonly ProgressSample[]): number | undefined => {
  const last = samples.at(-1);
  if (!last) return undefined;
  const first = samples.find((sample) => last.at - sample.at <= RATE_WINDOW_MS) ?? last;
  const seconds = (last.at - first.at) / 1000;
  return seconds > 0 ? (last.done - first.done) / seconds : undefined;
};

/** `[██████░░░░] 1,234/5,000  41.2/s  about 1 min 31 s left  RUNNING` (the bar on a terminal only). */
export const progressText = (samples: readonly ProgressSample[], bar: boolean): string => {
  const last = samples.at(-1);
  if (!last) return "";
  const rate = rateOf(samples);
  const remaining = last.total - last.done;
  const left =
    last.state === "DONE" || last.state === "STOPPED"
      ? undefined
      : rate !== undefined && rate > 0
        ? remaining / rate
        : last.estimatedSecondsLeft;
  const share = last.total === 0 ? 1 : last.done / last.total;
  const filled = Math.round(share * BAR_WIDTH);
  return [
    bar ? `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]` : undefined,
    `${count(last.done)}/${count(last.total)} done`,
    rate === undefined ? undefined : `${rate.toFixed(1)}/s`,
    left === undefined ? undefined : `about ${durationText(left)} left`,
    last.state,
  ]
    .filter((part) => part !== undefined)
    .join("  ");
};

/** Draws progress on stderr: redrawn in place on a terminal, plain lines otherwise. */
export const progressDisplay = (io: { err: (text: string) => void; errIsTty: boolean }) => {
  const samples: ProgressSample[] = [];
  let lastPlain: { head: string; at: number } | undefined;
  let drawn = false;
  return {
    show: (sample: ProgressSample): void => {
      samples.push(sample);
      while (samples.length > 2 && sample.at - (samples[1]?.at ?? sample.at) > RATE_WINDOW_MS)
        samples.shift();
      if (io.errIsTty) {
        io.err(`\r\x1b[2K${progressText(samples, true)}`);
        drawn = true;
        return;
      }
      const text = progressText(samples, false);
      // Changed: more done, or another state (the rate and the time left move at every poll).
      const head = `${sample.done} ${sample.state}`;
      const changed = lastPlain === undefined || head !== lastPlain.head;
      const final = sample.state === "DONE" || sample.state === "STOPPED";
      if (lastPlain === undefined || final || (changed && sample.at - lastPlain.at >= PLAIN_EVERY_MS)) {
        io.err(`${text}\n`);
        lastPlain = { head, at: sample.at };
      }
    },
    /** Ends the redrawn line (a terminal), so what follows starts on its own line. */
    end: (): void => {
      if (drawn) io.err("\n");
      drawn = false;
    },
  };
};

import { describe, expect, it } from "vitest";
import { jobSummary } from "../../../bin/cancelctl/bulk-commands.ts";
import {
  durationText,
  type ProgressSample,
  progressDisplay,
  progressText,
  rateOf,
} from "../../../bin/cancelctl/bulk-progress.ts";

const sample = (at: number, done: number, state = "RUNNING", estimate?: number): ProgressSample => ({
  at,
  done,
  total: 5_000,
  state,
  ...(estimate !== undefined && { estimatedSecondsLeft: estimate }),
});

describe("cancelctl bulk progress", () => {
  it("measures the rate over the last 30 s of polls, and the time left at that rate", () => {
    const samples = [sample(0, 0), sample(20_000, 400), sample(40_000, 1_200), sample(50_000, 1_600)];

    // From the sample 30 s back at most (20 s: 400) to the last (50 s: 1,600): 40 a second.
    expect(rateOf(samples)).toBe(40);
    expect(progressText(samples, false)).toBe("1,600/5,000 done  40.0/s  about 1 min 25 s left  RUNNING");
  });

  it("uses the service's estimate until there is a rate; says no time left once the job ended", () => {
    expect(progressText([sample(0, 0, "QUEUED", 700)], false)).toBe(
      "0/5,000 done  about 11 min 40 s left  QUEUED",
    );
    expect(progressText([sample(0, 4_000), sample(10_000, 5_000, "DONE")], false)).toBe(
      "5,000/5,000 done  100.0/s  DONE",
    );
  });

  it("draws a bar of done/total on a terminal", () => {
    expect(progressText([sample(0, 2_500)], true)).toMatch(/^\[█{14}░{14}\] {2}2,500\/5,000 done/);
    expect(durationText(59)).toBe("59 s");
    expect(durationText(3_725)).toBe("1 h 02 min");
  });

  it("redraws in place on a terminal; otherwise prints a line when it changed, at most every 10 s, and the last one", () => {
    const tty: string[] = [];
    const plain: string[] = [];
    const onTty = progressDisplay({ err: (text) => tty.push(text), errIsTty: true });
    const notTty = progressDisplay({ err: (text) => plain.push(text), errIsTty: false });
    const polls = [
      sample(0, 0),
      sample(1_000, 10),
      sample(2_000, 20),
      sample(12_000, 120),
      sample(13_000, 5_000, "DONE"),
    ];

    for (const poll of polls) {
      onTty.show(poll);
      notTty.show(poll);
    }
    onTty.end();
    notTty.end();

    expect(tty).toHaveLength(polls.length + 1);
    expect(tty.slice(0, -1).every((text) => text.startsWith("\r\x1b[2K["))).toBe(true);
    expect(tty.at(-1)).toBe("\n");
    expect(plain.map((line) => line.split("  ")[0])).toEqual([
      "0/5,000 done",
      "120/5,000 done",
      "5,000/5,000 done",
    ]);
    expect(plain.every((line) => line.endsWith("\n") && !line.includes("\r"))).toBe(true);
  });

  it("the status line says the service's estimate as the bar does (2 s left is not 'about 1 min')", () => {
    const job = {
      id: "job-1",
      state: "STOPPING",
      total: 500,
      counts: { NOT_FOUND: 179, STOPPED: 316 },
      progress: { done: 495, pending: 5, queued: 0, total: 500 },
    };
    expect(jobSummary({ ...job, estimatedSecondsLeft: 2 })).toBe(
      "STOPPING  bulk cancellation job-1: 495 of 500 done (179 NOT_FOUND, 316 STOPPED), 5 in flight, 0 queued, about 2 s left",
    );
    expect(jobSummary({ ...job, estimatedSecondsLeft: 167 })).toMatch(/, about 2 min 47 s left$/);
    expect(jobSummary(job)).toMatch(/0 queued$/);
  });
});

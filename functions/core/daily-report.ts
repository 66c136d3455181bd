/**
 * Daily reconciliation: what the service did to each target on one UTC day, read from the
 * audit log's day index.
 *
 * 1. Check that the day is a calendar date (`YYYY-MM-DD`, UTC).
 * 2. Read every record of the day: every slice the audit log spreads a day over (its day
 *    index is write-sharded), all at once, each page by page (oldest first), giving up
 *    cleanly at the deadline rather than being cut off by the platform.
 * 3. Merge them: keep each target's latest record of the day, by time then id, whichever
 *    slice it came from: that is how the target ended the day. The lists are in time order.
 * 4. Count targets by outcome × trigger × target type; list the refunds required (one
 *    entry per refund), the failures, and everything not final.
 *
 * Why targets and not records: a target retried after an operational failure, or finished
 * by the continuation after a PENDING answer, has several records but one fate; counting
 * records would count it twice. `records` still says how many records were read.
 */
import type { CancellationState } from "./cancellation.ts";
import { ReportDeadlineError, ValidationError } from "./errors.ts";
import type { OperationalProblem, OutcomeType, Target, TargetType } from "./outcome.ts";
import type { AuditLog, AuditRecord, Clock, Trigger } from "./ports.ts";

/** One target as it ended the day. */
export interface ReportEntry {
  target: Target;
  /** Time of the target's latest record that day. */
  at: string;
  outcome: OutcomeType;
  trigger: Trigger;
  /** The open state its cancellation was left in, when not final. */
  state?: Exclude<CancellationState, "DONE">;
  /** The order the target is a step of. */
  orderId?: string;
  upstreamStatus?: number;
  upstreamCode?: string | number;
  problem?: OperationalProblem;
  retryable?: boolean;
  detail?: string;
  correlationId: string;
  /** The audit record this entry was read from (its ULID). */
  recordId: string;
}

export interface DailyTotal {
  targetType: TargetType;
  trigger: Trigger;
  outcome: OutcomeType;
  /** Targets whose latest record of the day has this outcome and trigger. */
  targets: number;
}

export interface DailyReport {
  day: string;
  /** Audit records read. */
  records: number;
  /** Distinct targets among them. */
  targets: number;
  totals: DailyTotal[];
  /** One entry per refund to make: a charge's, or an order's when its charge step is not in the day. */
  refundsRequired: ReportEntry[];
  /** Targets whose latest record is FAILED (an operational failure when `retryable`). */
  failures: ReportEntry[];
  /** Targets whose latest record is PENDING or carries an open `state` (STUCK included). */
  notFinal: ReportEntry[];
}

/** The largest page the audit log serves: fewest round trips for a whole day. */
export const REPORT_PAGE_SIZE = 1000;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const daysInMonth = (year: number, month: number): number => {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
};

/** True for a real calendar date written `YYYY-MM-DD` (so `2026-13-01` and `2026-02-30` are not). */
export const isCalendarDay = (day: string): boolean => {
  const match = DAY_PATTERN.exec(day);
  if (!match) return false;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && date >= 1 && date <= daysInMonth(year, month);
};

const targetKey = (target: Pick<Target, "type" | "id">): string => `${target.type}#${target.id}`;

/** Records sort by time, then ULID: the audit log's own sort key. */
const sortKey = (record: AuditRecord): string => `${record.at}#${record.id}`;

const entryOf = (record: AuditRecord): ReportEntry => ({
  target: record.target,
  at: record.at,
  outcome: record.outcome,
  trigger: record.trigger,
  ...(record.state !== undefined && { state: record.state }),
  ...(record.orderId !== undefined && { orderId: record.orderId }),
  ...(record.upstream?.httpStatus !== undefined && { upstreamStatus: record.upstream.httpStatus }),
  ...(record.upstream?.code !== undefined && { upstreamCode: record.upstream.code }),
  ...(record.problem !== undefined && { problem: record.problem }),
  ...(record.retryable !== undefined && { retryable: record.retryable }),
  ...(record.detail !== undefined && { detail: record.detail }),
  correlationId: record.correlationId,
  recordId: record.id,
});

const isNotFinal = (record: AuditRecord): boolean =>
  record.outcome === "PENDING" || record.state !== undefined;

const byTime = (a: ReportEntry, b: ReportEntry): number =>
  a.at === b.at ? a.recordId.localeCompare(b.recordId) : a.at.localeCompare(b.at);

/**
 * Accumulates a day's records (in any order) and builds the report. Holds one record per
 * target, so a day of many retries costs no more memory than its targets.
 */
export class DailyReportBuilder {
  readonly #day: string;
  readonly #latest = new Map<string, AuditRecord>();
  #records = 0;

  constructor(day: string) {
    this.#day = day;
  }

  add(records: readonly AuditRecord[]): void {
    for (const record of records) {
      this.#records += 1;
      const key = targetKey(record.target);
      const seen = this.#latest.get(key);
      if (seen === undefined || sortKey(record) > sortKey(seen)) this.#latest.set(key, record);
    }
  }

  get records(): number {
    return this.#records;
  }

  build(): DailyReport {
    const latest = [...this.#latest.values()];
    const totals = new Map<string, DailyTotal>();
    for (const record of latest) {
      const key = `${record.target.type}|${record.trigger}|${record.outcome}`;
      const total = totals.get(key);
      if (total) total.targets += 1;
      else
        totals.set(key, {
          targetType: record.target.type,
          trigger: record.trigger,
          outcome: record.outcome,
          targets: 1,
        });
    }

    const refunds = latest.filter((record) => record.outcome === "REFUND_REQUIRED");
    // An order's refund is also recorded under its charge (a step with `orderId`): list it once.
    const ordersWithRefundedStep = new Set(
      refunds.filter((record) => record.target.type !== "order").map((record) => record.orderId),
    );
    const refundsRequired = refunds.filter(
      (record) => record.target.type !== "order" || !ordersWithRefundedStep.has(record.target.id),
    );

    return {
      day: this.#day,
      records: this.#records,
      targets: latest.length,
      totals: [...totals.values()].sort(
        (a, b) =>
          a.targetType.localeCompare(b.targetType) ||
          a.trigger.localeCompare(b.trigger) ||
          a.outcome.localeCompare(b.outcome),
      ),
      refundsRequired: refundsRequired.map(entryOf).sort(byTime),
      failures: latest
        .filter((record) => record.outcome === "FAILED")
        .map(entryOf)
        .sort(byTime),
      notFinal: latest.filter(isNotFinal).map(entryOf).sort(byTime),
    };
  }
}

export interface DailyReportOptions {
  /** Epoch ms after which no further page is read: the report fails with {@link ReportDeadlineError}. */
  deadline?: number;
  pageSize?: number;
  /** Called after each page with the records read so far. */
  onProgress?: (recordsRead: number) => void;
}

/**
 * The reconciliation of one UTC day. A day without records is an empty report, not an error.
 *
 * @throws ValidationError (`day`) when `day` is not a calendar date `YYYY-MM-DD`
 * @throws ReportDeadlineError when the day could not be read before `deadline`
 * @throws StoreUnavailableError when the audit log cannot be read
 */
export const dailyReport = async (
  deps: { audit: Pick<AuditLog, "byDay" | "daySlices">; clock: Clock },
  day: string,
  options: DailyReportOptions = {},
): Promise<DailyReport> => {
  if (!isCalendarDay(day)) {
    throw new ValidationError("day", "day must be a calendar date written YYYY-MM-DD (UTC), e.g. 2026-11-23");
  }
  const builder = new DailyReportBuilder(day);
  // Once one slice failed, the others stop at their next page: the report has failed.
  let failed = false;
  const readSlice = async (slice: string): Promise<void> => {
    let cursor: string | undefined;
    do {
      if (failed) return;
      if (options.deadline !== undefined && deps.clock.now() >= options.deadline) {
        throw new ReportDeadlineError(day, builder.records);
      }
      const page = await deps.audit.byDay(day, slice, {
        limit: options.pageSize ?? REPORT_PAGE_SIZE,
        cursor,
      });
      builder.add(page.items);
      options.onProgress?.(builder.records);
      cursor = page.cursor;
    } while (cursor !== undefined);
  };
  await Promise.all(
    deps.audit.daySlices(day).map((slice) =>
      readSlice(slice).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  return builder.build();
};

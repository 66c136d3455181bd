/**
 * Suite 6 — the daily reconciliation of a busy day. 10,000 audit records of one UTC day
 * (a realistic mix: retries after operational failures, refunds, pending intents finished
 * by the continuation, some left STUCK; test/support/audit-day.ts) are written to the audit
 * table on DynamoDB Local, then the day is reported through the exported HTTP handler —
 * signature check, every slice of the write-sharded `byDay` index read at once (16 shards and
 * the partition of records written before them; 1,000 records a page), the aggregation, the
 * JSON answer — with the Lambda context the deployed function has (10 s).
 *
 * Target: the day reported in under 10 s (the HTTP function's timeout). The first report
 * runs on a cold JVM and a cold handler; the figure is the slowest of all rounds.
 */
import { AUDIT_DAY_SLICES } from "#adapters/dynamo/audit-item.ts";
import type { DailyReport } from "#core/daily-report.ts";
import { JVM_DEFAULTS } from "#local/dynamo-local/launcher.ts";
import { syntheticDay, writeAuditRecords } from "#test/support/audit-day.ts";
import { startDynamoLocal } from "#test/support/dynamo-local.ts";
import { startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import { median } from "../support/stats.ts";
import { atMost, exactly, figure, type SuiteRun } from "../support/suite.ts";

const RECORDS = 10_000;
const ROUNDS = 5;
const TARGET_MS = 10_000;
const DAY = "2026-11-23";

export const run: SuiteRun = async ({ progress }) => {
  const dynamo = await startDynamoLocal({ jvmOptions: JVM_DEFAULTS });
  try {
    const kit = await startHandlerKit({ name: "bench-daily-report", dynamoEndpoint: dynamo.endpoint });
    try {
      const { records, expected } = syntheticDay(DAY, RECORDS, "bench");
      progress(`writing ${records.length} audit records of ${DAY} (BatchWriteItem, 25 a call)`);
      const writeStarted = performance.now();
      await writeAuditRecords(kit.dynamo, kit.tables.auditTable, records);
      const writeMs = performance.now() - writeStarted;

      const timings: number[] = [];
      let report: DailyReport | undefined;
      for (let round = 1; round <= ROUNDS; round++) {
        const event = kit.signed({ method: "GET", path: `/api/v1/reports/daily/${DAY}` });
        const context = lambdaContext({ remainingMs: TARGET_MS });
        kit.roundTrips.reset();
        const started = performance.now();
        const answer = await kit.http(event, context);
        const ms = performance.now() - started;
        if (answer.statusCode !== 200) {
          throw new Error(`report answered ${answer.statusCode}: ${answer.rawBody.slice(0, 300)}`);
        }
        timings.push(ms);
        report = answer.body as DailyReport;
        progress(`round ${round}: ${Math.round(ms)} ms, ${kit.roundTrips.total()} DynamoDB round trips`);
      }
      const final = report as DailyReport;
      const slowest = Math.max(...timings);
      const correct =
        final.records === RECORDS &&
        final.targets === expected.targets &&
        final.refundsRequired.length === expected.refunds &&
        final.failures.length === expected.failures &&
        final.notFinal.length === expected.notFinal;
      return {
        metrics: [
          atMost(
            `report of ${RECORDS.toLocaleString("en")} records, slowest of ${ROUNDS} (first on a cold JVM)`,
            slowest,
            TARGET_MS,
            "ms",
            0,
          ),
          figure("report, median of the rounds", median(timings), "ms", 0),
          figure(
            `DynamoDB round trips per report (${AUDIT_DAY_SLICES.length} slices read at once, Query pages of 1,000)`,
            kit.roundTrips.total(),
            "",
          ),
          exactly(
            "report agrees with the day written (records, targets, refunds, failures, not final)",
            correct ? 1 : 0,
            1,
          ),
          figure(
            `writing the ${RECORDS.toLocaleString("en")} records (setup, BatchWriteItem)`,
            writeMs,
            "ms",
            0,
          ),
        ],
        details: {
          records: RECORDS,
          rounds: timings.map((ms) => Math.round(ms)),
          expected,
          got: {
            records: final.records,
            targets: final.targets,
            refunds: final.refundsRequired.length,
            failures: final.failures.length,
            notFinal: final.notFinal.length,
            totals: final.totals.length,
          },
          writeMs: Math.round(writeMs),
        },
      };
    } finally {
      await kit.close();
    }
  } finally {
    await dynamo.stop();
  }
};

/**
 * `npm run simulate [-- flags]`: issue 11's multi-container simulation (bench/simulation/).
 * `npm run simulate -- --help` lists the flags; `--burst 1000` is the issue's burst.
 * Prints progress, then the report table; exits 1 when anything was lost or dead-lettered.
 */
import { writeFileSync } from "node:fs";
import { reportTable } from "./simulation/report-table.ts";
import { runSimulation } from "./simulation/run-simulation.ts";
import { parseSimulationArgs, USAGE } from "./simulation/simulation-options.ts";

const main = async (): Promise<number> => {
  const argv = process.argv.slice(2);
  let options: ReturnType<typeof parseSimulationArgs>;
  try {
    options = parseSimulationArgs(argv);
  } catch (error) {
    console.error(`npm run simulate: ${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await runSimulation(options);
  const command = `npm run simulate${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
  console.log(`\n${reportTable(report, command)}\n`);
  if (report.platformErrors.count > 0)
    console.log(`first platform errors:\n${report.platformErrors.first.join("\n")}`);
  if (options.jsonFile)
    writeFileSync(options.jsonFile, `${JSON.stringify({ command, ...report }, null, 2)}\n`);
  return report.bus.lost > 0 || report.bus.deadLettered > 0 ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run simulate failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(1);
  },
);

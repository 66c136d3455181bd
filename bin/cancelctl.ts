#!/usr/bin/env node
/**
 * cancelctl: the command-line client of cancellation-service (bin/cancelctl/cli.ts).
 * Run it as `npx cancelctl --help` in this repository.
 */
import { runCli } from "./cancelctl/cli.ts";
import { endQuietlyOnClosedPipe } from "./cancelctl/io.ts";

endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(text),
  errIsTty: process.stderr.isTTY === true,
});

/**
 * The test projects, chosen by a test file's folder (what the file needs):
 *
 * - `unit` (test/unit, test/contract, test/differential): neither DynamoDB Local nor a JVM.
 *   The core on in-memory ports, adapters against doubles, the local emulator's parts, the
 *   upstream sandboxes and the contracts against them, the emulator against moto_server.
 *   `npm run test:unit`, the inner loop.
 * - `reliability` (test/reliability): DynamoDB Local, reduced counts unless
 *   `RELIABILITY_PROFILE=full` (`npm run test:reliability`).
 * - `smoke` (test/smoke): `npm start` end to end; the stack starts its own DynamoDB Local.
 * - `integration`: every other test file, with DynamoDB Local. A new folder lands here, where
 *   everything ran before the projects existed; move it to `unit` by adding its folder above
 *   once it needs no DynamoDB.
 *
 * `npm test` runs every project. DynamoDB Local is one JVM per run, shared by the projects
 * that ask for it (test/support/dynamo-global-setup.ts), and only started when one of them
 * has files to run.
 */
import { defineConfig } from "vitest/config";

const UNIT = ["test/unit/**/*.test.ts", "test/contract/**/*.test.ts"];
const DIFFERENTIAL = ["test/differential/**/*.test.ts"];
const RELIABILITY = ["test/reliability/**/*.test.ts"];
const SMOKE = ["test/smoke/**/*.test.ts"];

const DYNAMO_LOCAL = "test/support/dynamo-global-setup.ts";
/**
 * What `inject("dynamoEndpoint")` answers in `unit`: an address that fails at the first
 * request with its own name as the message (`.invalid` never resolves, RFC 6761), instead of
 * an undefined endpoint that would send the SDK to AWS itself and wait.
 */
const NO_DYNAMO_LOCAL =
  "http://no-dynamodb-local-in-the-unit-project.move-this-file-under-test-integration.invalid";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: "unit",
          include: UNIT,
          provide: { dynamoEndpoint: NO_DYNAMO_LOCAL },
          // One module graph per worker, not per file: importing the SDK, Powertools and the
          // emulator again for each of 40-odd files was a third of the project's CPU time.
          // The files restore what they change (env stubs, mocks, fake timers).
          isolate: false,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...UNIT, ...DIFFERENTIAL, ...RELIABILITY, ...SMOKE],
          globalSetup: [DYNAMO_LOCAL],
        },
      },
      { test: { name: "differential", include: DIFFERENTIAL, provide: { dynamoEndpoint: NO_DYNAMO_LOCAL } } },
      { test: { name: "reliability", include: RELIABILITY, globalSetup: [DYNAMO_LOCAL] } },
      { test: { name: "smoke", include: SMOKE } },
    ],
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/dynamo-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});

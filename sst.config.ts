/// <reference path="./.sst/platform/config.d.ts" />

/**
 * SST v4 entry point. Resources live in `infra/` (one file per concern); this file only
 * decides the per-stage protections and pins the provider so installs are reproducible.
 */
export default $config({
  app(input) {
    const production = input?.stage === "production";
    return {
      name: "cancellation-service",
      home: "aws",
      // `retain` keeps tables (and, through infra/, secrets) when a production stage is removed;
      // every other stage is disposable.
      removal: production ? "retain" : "remove",
      // `sst remove` refuses to run on a protected stage.
      protect: production,
      providers: { aws: { version: "7.20.0" } },
    };
  },
  async run() {
    const { createInfrastructure } = await import("./infra/index.ts");
    return createInfrastructure();
  },
});

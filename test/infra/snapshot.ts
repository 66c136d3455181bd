import type { AppSettings } from "./bundle-program.ts";
import type { BuildRecord } from "./runtime-build.ts";

/** One registered resource: what the program asked for, and the options the checker reads. */
export interface ResourceRecord {
  type: string;
  name: string;
  id: string;
  custom: boolean;
  parent: string;
  protect: boolean;
  retainOnDelete: boolean;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** Everything one stage's evaluation produced. */
export interface Snapshot {
  app: AppSettings;
  resources: ResourceRecord[];
  outputs: Record<string, unknown>;
  builds: BuildRecord[];
  unansweredRpc: string[];
  errors: string[];
}

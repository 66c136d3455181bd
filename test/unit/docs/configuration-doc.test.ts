/**
 * docs/configuration.md is generated from the variable tables of functions/wiring/config-variables.ts;
 * this checks the tables against the code that reads the variables (so the page says what the
 * code does) and the committed page against the tables (so the page is current).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readConfig, readRelayConfig } from "#wiring/config.ts";
import { type ConfigVariable, RELAY_VARIABLES, SERVICE_VARIABLES } from "#wiring/config-variables.ts";
import { CONFIGURATION_DOC, renderConfigurationDoc } from "../../../scripts/configuration-doc.ts";

type Env = Record<string, string | undefined>;

/** The least each reader accepts; every other variable is left to its default. */
const READERS = [
  {
    name: "readConfig",
    read: readConfig as (env: Env) => unknown,
    variables: SERVICE_VARIABLES,
    minimal: [
      {
        IDEMPOTENCY_TABLE: "idem",
        AUDIT_TABLE: "audit",
        EVENT_BUS_NAME: "bus",
        SECRETS_FILE: "secrets.json",
      },
      {
        IDEMPOTENCY_TABLE: "idem",
        AUDIT_TABLE: "audit",
        EVENT_BUS_NAME: "bus",
        PROCURE_CORE_SECRET_ARN: "arn:pc",
        A55_SECRET_ARN: "arn:a55",
      },
    ] as Env[],
  },
  {
    name: "readRelayConfig",
    read: readRelayConfig as (env: Env) => unknown,
    variables: RELAY_VARIABLES,
    minimal: [{ EVENT_BUS_NAME: "bus" }] as Env[],
  },
] as const;

/** The names a reader looks at, over each minimal environment. */
const namesRead = (read: (env: Env) => unknown, environments: readonly Env[]): Set<string> => {
  const names = new Set<string>();
  for (const env of environments) {
    const recording = new Proxy(
      { ...env },
      {
        get: (target, key) => {
          if (typeof key === "string") names.add(key);
          return target[key as string];
        },
      },
    );
    read(recording);
  }
  return names;
};

/** Values inside and just outside what a variable is documented to accept. */
const probesOf = (variable: ConfigVariable): { accepted: string[]; refused: string[] } => {
  const { value } = variable;
  switch (value.type) {
    case "integer":
      return {
        accepted: [String(value.min), String(value.max)],
        refused: [String(value.min - 1), String(value.max + 1), `${value.min}.5`, "many"],
      };
    case "fraction":
      return { accepted: ["1", "0.01"], refused: ["0", "1.01", "-0.5", "half"] };
    case "duration":
      return { accepted: ["90m", "2d", "30s", "500ms", "1500"], refused: ["soon", "-5m", "1w"] };
    case "boolean":
      return { accepted: ["true", "false", "1", "0"], refused: ["maybe", "yes"] };
    case "url":
      return {
        accepted: ["http://127.0.0.1:1/q", "https://sqs.example.com/1/q"],
        refused: ["ftp://x", "queue"],
      };
    case "text":
      return { accepted: ["anything"], refused: [] };
  }
};

describe.each(READERS)("the variables of $name", ({ read, variables, minimal }) => {
  const base = minimal[0] ?? {};
  const documented = variables.filter((variable) => variable.readBy === undefined);

  it("lists every variable the code reads, and reads every variable it lists", () => {
    const read_ = namesRead(read, minimal);

    expect([...read_].sort()).toEqual(documented.map((variable) => variable.name).sort());
  });

  it("names each variable once", () => {
    const names = variables.map((variable) => variable.name);

    expect(new Set(names).size).toBe(names.length);
  });

  it.each(documented.filter((variable) => variable.default !== undefined))(
    "$name: its documented default, set explicitly, changes nothing",
    (variable) => {
      expect(read({ ...base, [variable.name]: variable.default })).toEqual(read(base));
    },
  );

  it.each(documented.filter((variable) => variable.whenUnset === "required"))(
    "$name: required, and its absence is named",
    (variable) => {
      const { [variable.name]: _removed, ...without } = base;

      expect(() => read(without)).toThrow(`${variable.name} is missing`);
    },
  );

  it.each(documented)("$name: accepts what the page says and refuses what is just outside it", (variable) => {
    const { accepted, refused } = probesOf(variable);

    for (const value of accepted)
      expect(() => read({ ...base, [variable.name]: value }), value).not.toThrow();
    for (const value of refused)
      expect(() => read({ ...base, [variable.name]: value }), value).toThrow(variable.name);
  });
});

describe("docs/configuration.md", () => {
  it("is current with the tables of functions/wiring/config-variables.ts (else: npm run docs:config)", () => {
    expect(readFileSync(CONFIGURATION_DOC, "utf8")).toBe(renderConfigurationDoc());
  });

  it("lists every variable", () => {
    const page = renderConfigurationDoc();

    for (const variable of [...SERVICE_VARIABLES, ...RELAY_VARIABLES])
      expect(page).toContain(`\`${variable.name}\``);
  });
});

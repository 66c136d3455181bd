/**
 * Checks made before anything starts, so a missing Java or a busy port is one clear
 * sentence instead of a stack trace from halfway through the start.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import type { LocalPorts } from "./settings.ts";

export class PreflightError extends Error {
  override readonly name = "PreflightError";
}

export const MIN_JAVA_MAJOR = 17;

/** The java (or javac) to run: `$JAVA_HOME/bin/<tool>` when JAVA_HOME is set, else the one on PATH. */
export const javaTool = (
  tool: "java" | "javac",
  env: Record<string, string | undefined> = process.env,
): string => (env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", tool) : tool);

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` → 17,
 * `java version "1.8.0_392"` → 8, `openjdk version "21" 2023-09-19` → 21.
 */
export const parseJavaMajor = (versionOutput: string): number | undefined => {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
};

/**
 * Resolves when Java 17+ runs.
 *
 * @throws PreflightError saying what was found and what is needed
 */
export const checkJava = async (): Promise<{ major: number; java: string }> => {
  const java = javaTool("java");
  let output: string;
  try {
    // `java -version` writes to stderr.
    const { stdout, stderr } = await promisify(execFile)(java, ["-version"], { timeout: 30_000 });
    output = `${stderr}${stdout}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PreflightError(
      code === "ENOENT"
        ? `Java not found (${java}). DynamoDB Local needs a Java ${MIN_JAVA_MAJOR}+ JDK: install one (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME.`
        : `Could not run "${java} -version": ${(error as Error).message}`,
    );
  }
  const major = parseJavaMajor(output);
  if (major === undefined) {
    throw new PreflightError(`Could not read the Java version from "${java} -version": ${output.trim()}`);
  }
  if (major < MIN_JAVA_MAJOR) {
    throw new PreflightError(
      `Java ${major} found (${java}); DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer. Install a newer JDK or point JAVA_HOME at one.`,
    );
  }
  return { major, java };
};

/** Resolves true when nothing listens on 127.0.0.1:`port` (by binding it for a moment). */
export const isPortFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });

const PORT_VARIABLES: Record<keyof LocalPorts, string> = {
  http: "CANCEL_LOCAL_HTTP_PORT",
  dynamodb: "CANCEL_LOCAL_DYNAMODB_PORT",
  procureCore: "CANCEL_LOCAL_PROCURE_CORE_PORT",
  a55: "CANCEL_LOCAL_A55_PORT",
};

/**
 * Resolves when every port is free.
 *
 * @throws PreflightError naming each busy port and the variable that moves it
 */
export const checkPorts = async (ports: LocalPorts): Promise<void> => {
  const busy: string[] = [];
  for (const [name, port] of Object.entries(ports) as [keyof LocalPorts, number][]) {
    if (!(await isPortFree(port))) busy.push(`${port} (${name}; set ${PORT_VARIABLES[name]} to move it)`);
  }
  if (busy.length > 0) {
    throw new PreflightError(
      `Port${busy.length > 1 ? "s" : ""} already in use on 127.0.0.1: ${busy.join(", ")}. Is another npm start running?`,
    );
  }
};

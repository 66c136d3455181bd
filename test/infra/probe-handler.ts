import { pathToFileURL } from "node:url";

/**
 * Imports a bundled handler the way the Lambda Node.js runtime does (ESM `import()` of the
 * `.mjs`) and prints the type of the named export. Run in its own process, with the Lambda's
 * environment. Usage: node test/infra/probe-handler.ts <bundle.mjs> <exportName>
 */
const [bundle, exportName] = process.argv.slice(2);
if (!bundle || !exportName) {
  console.error("usage: probe-handler.ts <bundle.mjs> <exportName>");
  process.exit(2);
}
try {
  const module = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  console.log(JSON.stringify({ type: typeof module[exportName] }));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}

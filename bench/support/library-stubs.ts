/**
 * A bound for the cold-start suite: a function bundled with its libraries (Powertools, middy,
 * valibot) replaced by inert stubs, so its module init is that of the AWS SDK clients plus the
 * service's own code alone. No hand-written replacement of those libraries could load less; what
 * such a bundle still costs over its reference is the service's own code.
 *
 * Each stubbed module exports every name the real one exports, each the same inert value: a
 * proxy that answers any property, call or construction with itself, so top-level code (a
 * schema built, a logger constructed, a middleware chained) runs without throwing. The bundle
 * only imports; it cannot serve a request.
 */
import type { Plugin } from "esbuild";

/** The libraries a function bundles besides the AWS SDK, as its handlers and adapters import them. */
export const STUBBED_LIBRARIES = [
  "@aws-lambda-powertools/batch",
  "@aws-lambda-powertools/logger",
  "@aws-lambda-powertools/logger/middleware",
  "@aws-lambda-powertools/metrics",
  "@middy/core",
  "valibot",
] as const;

const INERT =
  "const inert = new Proxy(function () {}, {" +
  " get: (_, key) => key === Symbol.toPrimitive ? () => '' : key === Symbol.iterator ? function* () {} : inert," +
  " apply: () => inert, construct: () => inert });";

const NAMESPACE = "library-stub";

/** Source of the stub of `specifier`: its real export names, each bound to the inert proxy. */
const stubSource = async (specifier: string): Promise<string> => {
  const real = (await import(specifier)) as Record<string, unknown>;
  const names = Object.keys(real).filter((name) => name !== "default");
  const exports = names.map(
    (name, index) => `const s${index} = inert; export { s${index} as ${JSON.stringify(name)} };`,
  );
  return [INERT, ...exports, "export default inert;"].join("\n");
};

/** An esbuild plugin that resolves every library of STUBBED_LIBRARIES to its stub. */
export const libraryStubs = (): Plugin => ({
  name: "library-stubs",
  setup(build) {
    const stubbed = new Set<string>(STUBBED_LIBRARIES);
    build.onResolve({ filter: /^(@aws-lambda-powertools|@middy|valibot)/ }, (args) =>
      stubbed.has(args.path) ? { path: args.path, namespace: NAMESPACE } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, async (args) => ({
      contents: await stubSource(args.path),
      loader: "js",
    }));
  },
});

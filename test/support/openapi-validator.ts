/**
 * Checks real handler answers against docs/openapi.yaml: the path template, the status
 * and the body's JSON Schema (OpenAPI 3.1 = JSON Schema 2020-12, checked with Ajv).
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }> }
    >
  >;
  components: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } & Record<
    string,
    unknown
  >;
}

const DOCUMENT_PATH = new URL("../../docs/openapi.yaml", import.meta.url);

export const loadOpenApi = (): OpenApiDocument =>
  parse(readFileSync(DOCUMENT_PATH, "utf8")) as OpenApiDocument;

const templateToPattern = (template: string): RegExp =>
  new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+").replace(/\/$/, "/?")}$`);

export const createResponseValidator = () => {
  const document = loadOpenApi();
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "openapi", components: document.components }, "openapi");
  const rewrite = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));

  /** Empty when the answer conforms; otherwise what is wrong. */
  return (method: string, path: string, status: number, body: unknown): string[] => {
    const template = Object.keys(document.paths).find((t) => templateToPattern(t).test(path));
    if (!template) return [`no documented path matches ${path}`];
    const pathItem = document.paths[template] ?? {};
    // A 405 answers a method the path does not have, in the language of the methods it does have.
    const operation =
      pathItem[method.toLowerCase()] ?? (status === 405 ? Object.values(pathItem)[0] : undefined);
    if (!operation) return [`${method} ${template} is not documented`];
    let response = operation.responses[String(status)];
    if (!response) return [`status ${status} is not documented for ${method} ${template}`];
    if (response.$ref) response = document.components.responses[response.$ref.split("/").at(-1) ?? ""] ?? {};
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) return [`no JSON schema for ${status} of ${method} ${template}`];
    const validate = ajv.compile(rewrite(schema) as object);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  };
};

/**
 * An upstream answer's body read as text, at most `maxBytes` of it. `Response.text()` reads
 * whatever the server sends: a runaway or hostile body (the upstream documents give none over
 * a few KB) would fill the function's memory before anything could judge it. A body that
 * declares more (`Content-Length`) is not read at all; a body without a declared length is read
 * chunk by chunk and dropped as soon as it passes the bound. Either way the caller learns only
 * that it was too large, and treats the answer as outside the contract.
 */
export type BoundedBody = { kind: "text"; text: string } | { kind: "too-large"; bytes: number };

export const readBoundedBody = async (response: Response, maxBytes: number): Promise<BoundedBody> => {
  const declared = response.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared)) {
    const bytes = Number(declared);
    if (bytes > maxBytes) {
      await response.body?.cancel();
      return { kind: "too-large", bytes };
    }
    // The framing holds the body to its declared length: undici's own reader is the fast path.
    return { kind: "text", text: await response.text() };
  }
  if (response.body === null) return { kind: "text", text: "" };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      return { kind: "too-large", bytes };
    }
    chunks.push(value);
  }
  return { kind: "text", text: Buffer.concat(chunks).toString("utf8") };
};

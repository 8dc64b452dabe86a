import { createHash } from "node:crypto";

/** Cache key from the model digest, the operation, the normalised input and every output-changing parameter. */
export function cacheKey(parts: {
  modelSha256: string;
  op: string;
  input: string;
  params?: Record<string, unknown>;
}): string {
  const params = parts.params ?? {};
  const canonical = JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
  return createHash("sha256")
    .update(parts.modelSha256)
    .update("\0")
    .update(parts.op)
    .update("\0")
    .update(parts.input.normalize("NFC"))
    .update("\0")
    .update(canonical)
    .digest("hex");
}

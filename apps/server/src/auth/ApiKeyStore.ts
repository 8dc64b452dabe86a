import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal, Scope } from "@sluice/api";
import { UnauthorizedError } from "@sluice/core";

/** One configured key: its name, scopes and the sha256 of the secret (the secret itself is never kept). */
export interface ApiKeyEntry {
  id: string;
  scopes: Scope[];
  sha256: string;
}

const SCOPES: ReadonlySet<string> = new Set(["infer", "admin"]);

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Parses `name:scopes:secret` entries (comma-separated). `secret` may be the
 * key itself (hashed here, then dropped) or `sha256:<hex>`.
 *
 * @throws RangeError naming the malformed entry (without its secret).
 */
export function parseApiKeys(spec: string | undefined): ApiKeyEntry[] {
  if (!spec) return [];
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const [id, scopeList, ...rest] = entry.split(":");
      const secret = rest.join(":");
      if (!id || !scopeList || !secret) throw new RangeError(`API key #${i + 1} must be name:scopes:secret`);
      const scopes = scopeList.split("+");
      for (const s of scopes)
        if (!SCOPES.has(s)) throw new RangeError(`API key ${id} has unknown scope ${JSON.stringify(s)}`);
      const hashed = /^sha256:([0-9a-f]{64})$/i.exec(secret);
      return {
        id,
        scopes: scopes as Scope[],
        sha256: hashed ? (hashed[1] as string).toLowerCase() : sha256Hex(secret),
      };
    });
}

/** Looks up API keys by the hash of the presented secret, in constant time per entry. */
export class ApiKeyStore {
  readonly #entries: ReadonlyArray<{ entry: ApiKeyEntry; digest: Buffer }>;

  constructor(entries: readonly ApiKeyEntry[]) {
    this.#entries = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, "hex") }));
  }

  /** True when keys are configured; without keys the server runs on loopback with auth off. */
  get enabled(): boolean {
    return this.#entries.length > 0;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * The principal of a request from its `Authorization: Bearer …` or
   * `x-api-key` header: `null` when none was presented, UNAUTHORIZED when the
   * key is unknown.
   */
  authenticate(authorization: string | undefined, apiKeyHeader: string | undefined): Principal | null {
    const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1] : undefined;
    const secret = bearer ?? apiKeyHeader?.trim();
    if (authorization !== undefined && bearer === undefined && apiKeyHeader === undefined)
      throw new UnauthorizedError("the Authorization header must be `Bearer <key>`");
    if (!secret) return null;
    const digest = createHash("sha256").update(secret, "utf8").digest();
    let found: ApiKeyEntry | undefined;
    for (const { entry, digest: known } of this.#entries) {
      // Compare every entry so timing does not reveal which one matched.
      if (timingSafeEqual(digest, known)) found = entry;
    }
    if (!found) throw new UnauthorizedError("the API key is not valid");
    return { id: found.id, scopes: found.scopes };
  }
}

import { InvalidInputError } from "../../errors/index.ts";

/**
 * Hosts model files may come from by default: Hugging Face and the CDN hosts
 * its `resolve` URLs redirect to (cdn-lfs*.huggingface.co, cdn-lfs*.hf.co,
 * cas-bridge.xethub.hf.co). `*.example.com` matches any subdomain, at any depth.
 */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = Object.freeze([
  "huggingface.co",
  "*.huggingface.co",
  "hf.co",
  "*.hf.co",
]);

/** Which URLs a download may touch. */
export interface HostPolicy {
  /** https hosts (`host`, `host:port` or `*.domain`). */
  readonly allowedHosts: readonly string[];
  /** Plain-http `host:port` pairs, for tests against a local server only. */
  readonly allowInsecureHosts: readonly string[];
}

const hostPattern = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

/** Builds a policy, refusing malformed entries with a RangeError that names them. */
export function createHostPolicy(
  allowedHosts: readonly string[] = DEFAULT_ALLOWED_HOSTS,
  allowInsecureHosts: readonly string[] = [],
): HostPolicy {
  for (const h of [...allowedHosts, ...allowInsecureHosts]) {
    if (!hostPattern.test(h)) throw new RangeError(`invalid host pattern ${JSON.stringify(h)}`);
  }
  for (const h of allowInsecureHosts) {
    if (h.startsWith("*.")) throw new RangeError(`insecure hosts must be exact: ${JSON.stringify(h)}`);
  }
  return Object.freeze({
    allowedHosts: Object.freeze(allowedHosts.map((h) => h.toLowerCase())),
    allowInsecureHosts: Object.freeze(allowInsecureHosts.map((h) => h.toLowerCase())),
  });
}

function hostMatches(url: URL, pattern: string): boolean {
  // URL.host omits the default port, so "huggingface.co" matches only port 443.
  const host = url.host.toLowerCase();
  if (!pattern.startsWith("*.")) return host === pattern;
  const suffix = pattern.slice(1); // ".domain[:port]"
  return host.endsWith(suffix) && host.length > suffix.length;
}

/**
 * Checks a download URL (the first one or a redirect target) against the
 * policy before any request is made to it: https only (plain http only for an
 * exact `allowInsecureHosts` entry), no credentials, an allowed host.
 * Throws INVALID_INPUT naming what is wrong.
 */
export function checkUrlAllowed(input: string | URL, policy: HostPolicy, what = "model URL"): URL {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : input;
  } catch (err) {
    throw new InvalidInputError(`${what} is not a valid URL`, { cause: err });
  }
  const shown = `${url.protocol}//${url.host}`;
  if (url.username !== "" || url.password !== "") {
    throw new InvalidInputError(`${what} must not carry credentials`, { details: { host: url.host } });
  }
  if (url.protocol === "https:") {
    if (policy.allowedHosts.some((p) => hostMatches(url, p))) return url;
    throw new InvalidInputError(`${what} host ${url.host} is not on the allowlist`, {
      details: { url: shown },
    });
  }
  if (url.protocol === "http:" && policy.allowInsecureHosts.includes(url.host.toLowerCase())) return url;
  throw new InvalidInputError(`${what} must use https (got ${url.protocol})`, { details: { url: shown } });
}

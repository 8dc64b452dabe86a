import type { IncomingMessage, ServerResponse } from "node:http";

/** Headers every response carries: no sniffing, no framing, no referrer leaks, no caching of answers. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("cross-origin-resource-policy", "same-site");
  res.setHeader("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  res.setHeader("cache-control", "no-store");
}

/**
 * CORS for the playground: only listed origins are echoed back. Returns true
 * when the request was a preflight and has been answered.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (origin && allowed.has(origin)) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "Origin");
    res.setHeader("access-control-allow-credentials", "true");
    res.setHeader("access-control-expose-headers", "x-request-id, retry-after");
  }
  if (req.method !== "OPTIONS") return false;
  if (origin && allowed.has(origin)) {
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader(
      "access-control-allow-headers",
      "authorization, content-type, x-api-key, x-request-id, trpc-accept, last-event-id",
    );
    res.setHeader("access-control-max-age", "600");
  }
  res.writeHead(204);
  res.end();
  return true;
}

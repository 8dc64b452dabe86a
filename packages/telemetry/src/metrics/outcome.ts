/** How a request ended, as the `outcome` label of `sluice_request_duration_seconds`. */
export type RequestOutcome = "ok" | "client_error" | "server_error" | "aborted";

// Codes that say the caller did something wrong (or was turned away on
// purpose). They do not count against the error-rate alert. Kept as strings so
// telemetry needs no other workspace package.
const clientCodes: ReadonlySet<string> = new Set([
  "INVALID_INPUT",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "MODEL_NOT_FOUND",
  "MODEL_UNSUPPORTED",
]);

/**
 * Maps a stable error code (or `"OK"`) to the request outcome. An HTTP status,
 * when given, decides between client and server errors for codes this table
 * does not know.
 */
export function outcomeOf(code: string, httpStatus?: number): RequestOutcome {
  if (code === "OK") return "ok";
  if (code === "ABORTED") return "aborted";
  if (clientCodes.has(code)) return "client_error";
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) return "client_error";
  return "server_error";
}

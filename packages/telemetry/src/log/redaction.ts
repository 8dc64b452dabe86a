/** Keys whose values are secrets wherever they appear. */
const secretKeys = [
  "apiKey",
  "api_key",
  "authorization",
  "Authorization",
  "x-api-key",
  "password",
  "token",
  "secret",
];

/** Keys that hold user content: prompts, messages and model output. */
const contentKeys = [
  "prompt",
  "prompts",
  "messages",
  "input",
  "output",
  "completion",
  "text",
  "texts",
  "content",
];

const censor = "[REDACTED]";

function pathsFor(keys: readonly string[]): string[] {
  // Bracket notation keeps keys with dashes valid; three levels cover
  // `{ req: { headers: { authorization } } }` without a costly deep walk.
  return keys.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]);
}

/** pino `redact` option for Sluice logs. */
export function redactOptions(logContent: boolean): { paths: string[]; censor: string } {
  const keys = logContent ? secretKeys : [...secretKeys, ...contentKeys];
  return { paths: pathsFor(keys), censor };
}

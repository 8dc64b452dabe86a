import { z } from "zod";

// The only file of the playground that reads the environment. It runs on the
// server at request time (the root layout is dynamic), so one `next build`
// serves any API address: Next would freeze a literal
// `process.env.NEXT_PUBLIC_…` into the bundle at build time.

const schema = z.object({
  /** Base URL of the Sluice API (tRPC at `/trpc`). Defaults to `http://127.0.0.1:8080`. */
  NEXT_PUBLIC_SLUICE_API_URL: z
    .url()
    .default("http://127.0.0.1:8080")
    .transform((url) => url.replace(/\/+$/, "")),
});

export type PlaygroundEnv = z.infer<typeof schema>;

export function readEnv(): PlaygroundEnv {
  const source: Record<string, string | undefined> = { ...process.env };
  return schema.parse({ NEXT_PUBLIC_SLUICE_API_URL: source.NEXT_PUBLIC_SLUICE_API_URL || undefined });
}

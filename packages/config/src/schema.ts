import { z } from "zod";

export const serverSchema = z.object({
  /** Interface to bind. Defaults to `127.0.0.1`. */
  host: z.string().default("127.0.0.1"),
  /** Port of the HTTP API. Defaults to `8080`. */
  port: z.number().int().min(0).max(65535).default(8080),
});
export type ServerConfig = z.infer<typeof serverSchema>;

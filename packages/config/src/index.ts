export { type ServerConfig, serverSchema } from "./schema.ts";

/** The engine module a runner hosts by default. */
export { createEngineFactory } from "./devEngineModule.ts";

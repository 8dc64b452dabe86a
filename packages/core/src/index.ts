// Each area owns its barrel; this file only names the areas.
export * from "./errors/index.ts";
export * from "./models/index.ts";
export * from "./resilience/index.ts";
export * from "./runtime/defaults.ts";
export * from "./runtime/engine/index.ts";
export * from "./runtime/host/index.ts";
export * from "./runtime/llama/index.ts";
export * from "./runtime/llama-vision/index.ts";
export * from "./runtime/memory/index.ts";
export * from "./runtime/runner/index.ts";
export * from "./runtime/scheduler/index.ts";
export * from "./runtime/tools/index.ts";

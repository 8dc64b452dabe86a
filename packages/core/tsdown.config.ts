import { defineConfig } from "tsdown";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "errors/index": "src/errors/index.ts",
    "models/index": "src/models/index.ts",
    // Forked by RunnerEngineFactory as a file of its own (see resolveRunnerEntry).
    "runtime/runner/runnerMain": "src/runtime/runner/runnerMain.ts",
    // Imported by vision runners from a file URL (see visionEngineModuleUrl).
    "runtime/llama-vision/visionEngineModule": "src/runtime/llama-vision/visionEngineModule.ts",
  },
  format: "esm",
  dts: true,
  fixedExtension: false,
});

import { defineConfig } from "tsdown";

export default defineConfig({
  // cli: the `sluice-synth` bin.
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  format: "esm",
  dts: true,
  fixedExtension: false,
});

import { defineConfig } from "tsdown";

export default defineConfig({
  entry: { index: "src/index.ts", "errors/index": "src/errors/index.ts", "models/index": "src/models/index.ts" },
  format: "esm",
  dts: true,
  fixedExtension: false,
});

import { defineConfig } from "tsdown";

// The server and the CLI as plain JavaScript: workspace packages stay external
// (their own dist), so runner processes and the catalog come from @sluice/core.
export default defineConfig({
  entry: {
    bin: "src/bin.ts",
    cli: "src/cli.ts",
    serveMain: "src/serveMain.ts",
    startServer: "src/startServer.ts",
  },
  format: "esm",
  dts: false,
  fixedExtension: false,
});

#!/usr/bin/env node
// The `sluice` bin: dist/bin.js in an installed server (compiled, no loader).
// From a checkout, `pnpm sluice …` runs src/cli.ts through tsx instead.
import { main } from "./cli.ts";

await main(process.argv);

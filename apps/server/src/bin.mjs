#!/usr/bin/env node
// The `sluice` bin. The server ships as TypeScript source, so this registers
// tsx's loader in this process and runs the CLI (no child process to forward
// signals or exit codes to).
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
await main(process.argv);

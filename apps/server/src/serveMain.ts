// Entry point that serves with settings from the environment only (used by
// scripts/start.mjs and the tests' child processes; `sluice serve` adds flags).
// runServer prints a start-up failure's code and message and exits 1 itself.
import { runServer } from "./main.ts";

await runServer();

// Entry point that serves with settings from the environment only (used by
// scripts/start.mjs and the tests' child processes; `sluice serve` adds flags).
import { runServer } from "./main.ts";

runServer().catch((err: unknown) => {
  console.error(
    err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : err,
  );
  process.exit(1);
});

import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { auditCommand } from "./commands/audit.ts";
import { benchCommand } from "./commands/bench.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { modelsCommand } from "./commands/models.ts";
import { serveCommand } from "./commands/serve.ts";

/** Builds one `sluice` command group. Each group lives in its own file under `commands/`. */
export type CommandGroup = () => Command;

/**
 * The command groups of `sluice`, in help order. A new group (serve, bench,
 * doctor, …) is a file under `commands/` exporting a `Command` factory, plus
 * one line here.
 */
export const commandGroups: CommandGroup[] = [
  () => serveCommand(),
  () => modelsCommand(),
  () => benchCommand(),
  () => auditCommand(),
  () => doctorCommand(),
];

/** The `sluice` program with every command group registered. */
export function buildCli(groups: readonly CommandGroup[] = commandGroups): Command {
  const program = new Command("sluice")
    .description("Sluice: run Liquid AI LFM2 models in production")
    .showHelpAfterError();
  for (const group of groups) program.addCommand(group());
  return program;
}

/** Runs the CLI on an argv (`process.argv` form); exit status goes to `process.exitCode`. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildCli().parseAsync([...argv]);
}

// `pnpm sluice …` runs this file with tsx; the `sluice` bin (bin.mjs) calls main().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}

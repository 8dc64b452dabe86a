import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Command } from "commander";

/** Builds one `sluice` command group. Each group lives in its own file under `commands/`. */
export type CommandGroup = () => Command;

/**
 * A command group whose module is imported only when it runs, so that
 * `sluice --help` (and every other command) does not load the runtime, the
 * config schema and node-llama-cpp behind the groups it does not run. The
 * name and description are what the program's help lists; the loaded group's
 * own help (`sluice <name> --help`) shows its options.
 */
export interface LazyCommandGroup {
  name: string;
  description: string;
  load: () => Promise<Command>;
}

/**
 * The command groups of `sluice`, in help order. A new group (serve, bench,
 * doctor, …) is a file under `commands/` exporting a `Command` factory, plus
 * one entry here (its description as the factory gives it).
 */
export const commandGroups: LazyCommandGroup[] = [
  {
    name: "serve",
    description: "serve the HTTP API until SIGTERM/SIGINT (then drain in-flight requests and exit 0)",
    load: async () => (await import("./commands/serve.ts")).serveCommand(),
  },
  {
    name: "run",
    description: "Chat with a model of a running server in the terminal (/bye to leave)",
    load: async () => (await import("./commands/run.ts")).runCommand(),
  },
  {
    name: "ps",
    description: "Show the models a running server has loaded, their memory and busy sequences",
    load: async () => (await import("./commands/ps.ts")).psCommand(),
  },
  {
    name: "models",
    description: "List, download, verify and remove model files",
    load: async () => (await import("./commands/models.ts")).modelsCommand(),
  },
  {
    name: "bench",
    description: "run the benchmarks (benchmarks/ workspace); figures are printed and written to its reports",
    load: async () => (await import("./commands/bench.ts")).benchCommand(),
  },
  {
    name: "audit",
    description: "Audit log tools",
    load: async () => (await import("./commands/audit.ts")).auditCommand(),
  },
  {
    name: "doctor",
    description: "Check this machine and the configuration; print problems with their fixes",
    load: async () => (await import("./commands/doctor.ts")).doctorCommand(),
  },
];

/** The program every group hangs off, so usage lines read `sluice <group> …`. */
function program(): Command {
  return new Command("sluice")
    .description("Sluice: run Liquid AI LFM2 models in production")
    .version(`sluice ${version()}`, "-V, --version", "print the version")
    .showHelpAfterError()
    .enablePositionalOptions();
}

/** A stand-in that imports the group when it runs and hands it the arguments as given. */
function lazyCommand(group: LazyCommandGroup): Command {
  return new Command(group.name)
    .description(group.description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .action(async (_options: unknown, self: Command) => {
      const real = program().addCommand(await group.load());
      await real.parseAsync([group.name, ...self.args], { from: "user" });
    });
}

/** The `sluice` program with every command group registered. */
export function buildCli(groups: readonly (CommandGroup | LazyCommandGroup)[] = commandGroups): Command {
  const cli = program();
  for (const group of groups) cli.addCommand(typeof group === "function" ? group() : lazyCommand(group));
  return cli;
}

/** This package's version (apps/server/package.json, one level above src/ and dist/ alike). */
export function version(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

/** Runs the CLI on an argv (`process.argv` form); exit status goes to `process.exitCode`. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildCli().parseAsync([...argv]);
}

// `pnpm sluice …` runs this file with tsx; the `sluice` bin (bin.ts, compiled) calls main().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}

import { describe, expect, it } from "vitest";
import { buildCli, commandGroups } from "../src/cli.ts";

describe("sluice CLI", () => {
  it("lists each lazily loaded group with the description its own module gives", async () => {
    for (const group of commandGroups) {
      const loaded = await group.load();
      expect(loaded.name()).toBe(group.name);
      expect(loaded.description()).toBe(group.description);
    }
  });

  it("hands a lazy group its arguments and options unchanged", async () => {
    const seen: string[][] = [];
    const { Command } = await import("commander");
    const cli = buildCli([
      {
        name: "probe",
        description: "records what it is given",
        load: async () =>
          new Command("probe")
            .argument("<ref>")
            .option("--json")
            .action((ref: string, options: { json?: boolean }) => {
              seen.push([ref, String(options.json)]);
            }),
      },
    ]);
    await cli.parseAsync(["node", "sluice", "probe", "lfm2-tiny", "--json"]);
    expect(seen).toEqual([["lfm2-tiny", "true"]]);
  });
});

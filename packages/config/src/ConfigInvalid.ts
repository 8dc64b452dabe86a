import { ConfigInvalidError } from "@sluice/core";
import type { z } from "zod";
import { type SourceMap, sourceOf } from "./merge.ts";
import { type ConfigPath, formatPath, getPath } from "./paths.ts";

/** One bad field of a configuration. */
export interface ConfigProblem {
  /** Dotted path, e.g. `server.port`. */
  path: string;
  /** What the field accepts, e.g. `number <= 65535`. */
  expected: string;
  /** The offending value, when there is one. */
  received?: unknown;
  /** Where the value came from: a file, an environment variable or `cli`. */
  source?: string;
  message: string;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "too_big":
      return `${issue.origin} ${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}`;
    case "too_small":
      return `${issue.origin} ${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex" ? issue.message : `a ${issue.format}`;
    case "unrecognized_keys":
      return "no such field";
    default:
      return issue.message;
  }
}

/** Turns zod issues into problems with paths, expected values and sources. */
export function problemsOf(error: z.ZodError, input: unknown, sources: SourceMap): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const paths: ConfigPath[] =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => [...(issue.path as ConfigPath), k])
        : [issue.path as ConfigPath];
    return paths.map((path) => {
      const problem: ConfigProblem = {
        path: formatPath(path) || "(root)",
        expected: expectedOf(issue),
        message: issue.message,
      };
      const received = getPath(input, path);
      if (received !== undefined) problem.received = received;
      const source = sourceOf(sources, path);
      if (source) problem.source = source;
      return problem;
    });
  });
}

/** CONFIG_INVALID naming every bad field; the process must not start with it. */
export function configInvalid(problems: readonly ConfigProblem[], cause?: unknown): ConfigInvalidError {
  const lines = problems.map((p) => {
    const got = p.received === undefined ? "" : `, got ${JSON.stringify(p.received)}`;
    const from = p.source ? ` (from ${p.source})` : "";
    const why = p.path === "(file)" ? ` — ${p.message}` : "";
    return `  ${p.path}: expected ${p.expected}${got}${from}${why}`;
  });
  return new ConfigInvalidError(
    `Invalid configuration, ${problems.length} problem(s):\n${lines.join("\n")}`,
    { details: { problems: problems.map((p) => ({ ...p })) }, ...(cause === undefined ? {} : { cause }) },
  );
}

import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";

/**
 * A real terminal: a detached tmux session on a private socket, driven by
 * send-keys and read with capture-pane (scrollback included), as a person
 * at a terminal would type and read.
 */
export class TmuxSession {
  readonly #socket = `sluice-test-${randomBytes(4).toString("hex")}`;
  readonly name = "t";

  /** Starts `command` (a shell line) in an 160×50 terminal; the line after it prints `EXIT=<status>`. */
  constructor(command: string, cwd: string, env: Record<string, string> = {}) {
    if (!existsSync("/usr/bin/tmux"))
      throw new Error("tmux is missing: run scripts/setup.sh (apt-get install -y tmux)");
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, "'\\''")}'; `)
      .join("");
    this.#tmux(
      "new-session",
      "-d",
      "-s",
      this.name,
      "-x",
      "160",
      "-y",
      "50",
      "-c",
      cwd,
      `${exports}${command}; echo "EXIT=$?"; sleep 600`,
    );
    this.#tmux("set-option", "-t", this.name, "history-limit", "20000");
  }

  /** Types literal text. */
  type(text: string): void {
    this.#tmux("send-keys", "-t", this.name, "-l", text);
  }

  /** Presses keys by tmux name (`Enter`, `C-c`, `C-d`). */
  press(...keys: string[]): void {
    this.#tmux("send-keys", "-t", this.name, ...keys);
  }

  /** What the terminal shows, scrollback included, trailing blank lines dropped. */
  screen(): string {
    return this.#tmux("capture-pane", "-p", "-J", "-S", "-20000", "-t", this.name).replace(/\s+$/, "");
  }

  /** Polls the screen until `test` passes; throws with the screen after `timeoutMs`. */
  async waitFor(test: (screen: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${what}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.#socket, "kill-server"], { stdio: "ignore" });
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.#socket, ...args], { encoding: "utf8" });
  }
}

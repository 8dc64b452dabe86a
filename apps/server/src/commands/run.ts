import { createInterface, type Interface } from "node:readline";
import { Command } from "commander";
import { type ServedModel, ServerUnreachable, serverClient } from "./client.ts";

interface RunOptions {
  url?: string;
  apiKey?: string;
  maxTokens: string;
  temperature: string;
  system?: string;
}

interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Reads OpenAI-style server-sent events; yields each `data:` payload until `[DONE]`. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        yield data;
      }
      end = buffer.indexOf("\n\n");
    }
  }
}

/**
 * `sluice run [model]`: chat with a running server in the terminal. Answers
 * stream as they are generated; Ctrl-C stops the current answer (the server
 * frees its sequence at once), `/bye` or Ctrl-D leaves. The conversation is
 * kept for the session, so each question sees the earlier ones.
 */
export function runCommand(): Command {
  return new Command("run")
    .description("Chat with a model of a running server in the terminal (/bye to leave)")
    .argument("[model]", "model id (default: the server's default model)")
    .option("--url <url>", "server URL (default: $SLUICE_URL or http://127.0.0.1:$SLUICE_PORT|8080)")
    .option("--api-key <key>", "API key (default: $SLUICE_API_KEY)")
    .option("--max-tokens <n>", "most tokens per answer", "256")
    .option("--temperature <t>", "sampling temperature", "0.8")
    .option("--system <text>", "system prompt")
    .action(async (model: string | undefined, options: RunOptions) => {
      const client = serverClient(options);
      const write = (t: string) => void process.stdout.write(t);
      let served: ServedModel[];
      try {
        served = (await client.getJson<{ data: ServedModel[] }>("/v1/models")).data;
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        if (error instanceof ServerUnreachable) process.stderr.write("start one with `pnpm sluice serve`\n");
        process.exitCode = 1;
        return;
      }
      const chosen = model ?? served.find((m) => m.sluice?.default)?.id ?? "";
      const entry = served.find((m) => m.id === chosen);
      if (!entry && model !== undefined) {
        // A catalog id or hf: URI the server does not serve yet: ask it to load one (admin).
        write(`loading ${model}…\n`);
        const res = await fetch(`${client.url}/trpc/models.load`, {
          method: "POST",
          headers: { ...client.headers, "content-type": "application/json" },
          body: JSON.stringify({ id: model }),
        }).catch((e: Error) => ({ ok: false, status: 0, statusText: e.message }) as Response);
        if (!res.ok) {
          const body = (await res.json?.().catch(() => ({}))) as { error?: { message?: string } } | undefined;
          process.stderr.write(`error: could not load ${model}: ${body?.error?.message ?? res.statusText}\n`);
          process.exitCode = 1;
          return;
        }
      }
      const note = entry?.sluice?.synthetic ? " (synthetic weights: output is noise)" : "";
      write(`>>> ${chosen || "default model"}${note} · /bye to leave, Ctrl-C stops an answer\n`);

      const history: Message[] = options.system ? [{ role: "system", content: options.system }] : [];
      let answering: AbortController | undefined;
      const rl: Interface = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      rl.setPrompt(">>> ");
      rl.on("SIGINT", () => {
        if (answering) {
          answering.abort();
          return;
        }
        write("\n(type /bye or press Ctrl-D to leave)\n");
        rl.prompt();
      });

      const ask = async (text: string): Promise<void> => {
        history.push({ role: "user", content: text });
        const controller = new AbortController();
        answering = controller;
        let answer = "";
        try {
          const res = await fetch(`${client.url}/v1/chat/completions`, {
            method: "POST",
            headers: { ...client.headers, "content-type": "application/json" },
            body: JSON.stringify({
              ...(chosen ? { model: chosen } : {}),
              messages: history,
              stream: true,
              max_tokens: Number(options.maxTokens),
              temperature: Number(options.temperature),
            }),
            signal: controller.signal,
          });
          if (!res.ok || !res.body) {
            const body = (await res.json().catch(() => ({}))) as {
              error?: { code?: string; message?: string };
            };
            write(`error ${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}\n`);
            history.pop();
            return;
          }
          for await (const data of sseData(res.body)) {
            const chunk = JSON.parse(data) as {
              choices?: { delta?: { content?: string } }[];
              error?: { code?: string; message?: string };
            };
            if (chunk.error) {
              write(`\nerror ${chunk.error.code}: ${chunk.error.message}`);
              break;
            }
            const piece = chunk.choices?.[0]?.delta?.content ?? "";
            answer += piece;
            write(piece);
          }
          write("\n");
        } catch (error) {
          if (controller.signal.aborted) write("\n[stopped]\n");
          else write(`\nerror: ${(error as Error).message}\n`);
        } finally {
          answering = undefined;
          // What was said stays in the conversation, stopped or not (a refused question does not).
          if (history.at(-1)?.role === "user") history.push({ role: "assistant", content: answer });
        }
      };

      rl.prompt();
      for await (const line of rl) {
        const text = line.trim();
        if (text === "/bye") break;
        if (text === "") {
          rl.prompt();
          continue;
        }
        await ask(text);
        rl.prompt();
      }
      rl.close();
      process.exitCode = 0;
    });
}

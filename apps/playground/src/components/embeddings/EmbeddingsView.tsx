"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { describeError } from "../../lib/errors.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { nearestNeighbours, similarityMatrix } from "../../lib/vectors.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { Heatmap } from "./Heatmap.tsx";

const EXAMPLES = [
  "The river floods in spring.",
  "Snowmelt swells the stream in April.",
  "Invoices are due in thirty days.",
];

export function EmbeddingsView() {
  const trpc = useTRPC();
  const [texts, setTexts] = useState<string[]>(EXAMPLES);
  const [model, setModel] = useState("");
  const embed = useMutation(trpc.embed.mutationOptions());
  const used = embed.variables?.texts ?? [];
  const matrix = embed.data ? similarityMatrix(embed.data.vectors) : null;
  const neighbours = matrix ? nearestNeighbours(matrix) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    const filled = texts.map((t) => t.trim()).filter(Boolean);
    if (filled.length === 0) return;
    embed.mutate({ texts: filled, normalize: true, ...(model.trim() ? { model: model.trim() } : {}) });
  }

  return (
    <>
      <form className="embed-form" onSubmit={submit}>
        {texts.map((text, i) => (
          <div className="text-row" key={`t${i}`}>
            <label htmlFor={`text-${i}`} className="visually-hidden">
              Text {i + 1}
            </label>
            <span aria-hidden="true">{i + 1}.</span>
            <input
              id={`text-${i}`}
              value={text}
              onChange={(e) => setTexts(texts.map((t, j) => (j === i ? e.target.value : t)))}
            />
            <button
              type="button"
              className="secondary"
              aria-label={`Remove text ${i + 1}`}
              disabled={texts.length <= 1}
              onClick={() => setTexts(texts.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        ))}
        <label>
          Model
          <input value={model} placeholder="server default" onChange={(e) => setModel(e.target.value)} />
        </label>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setTexts([...texts, ""])}>
            Add text
          </button>
          <button type="submit" disabled={embed.isPending}>
            {embed.isPending ? "Embedding…" : "Compare"}
          </button>
        </div>
      </form>
      {embed.isError ? <ErrorNote error={describeError(embed.error)} /> : null}
      {embed.isPending ? (
        <p className="muted" role="status">
          Embedding {used.length} texts…
        </p>
      ) : null}
      {!embed.data && !embed.isPending && !embed.isError ? (
        <p className="empty">
          Enter two or more texts and press Compare to see how similar their embeddings are.
        </p>
      ) : null}
      {embed.data && matrix && neighbours ? (
        <section aria-label="Results">
          <h2>Cosine similarity</h2>
          <p className="muted small">
            {embed.data.model} · {embed.data.vectors[0]?.length ?? 0} dimensions · {embed.data.promptTokens}{" "}
            prompt tokens · {embed.data.cachedCount} from cache
          </p>
          <Heatmap texts={used} matrix={matrix} />
          <h2>Nearest neighbours</h2>
          <ol className="neighbours" data-testid="neighbours">
            {neighbours.map((list, i) => (
              <li key={`n${i}`}>
                <q>{used[i]}</q> →{" "}
                {list[0] ? (
                  <>
                    <q>{used[list[0].index]}</q> <span className="muted">({list[0].score.toFixed(3)})</span>
                  </>
                ) : (
                  <span className="muted">no other text</span>
                )}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  );
}

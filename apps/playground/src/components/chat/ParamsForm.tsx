"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../lib/trpc.ts";
import type { ChatParams } from "./types.ts";

/** Model (or cascade tier) and sampling parameters. */
export function ParamsForm({ value, onChange }: { value: ChatParams; onChange: (p: ChatParams) => void }) {
  const trpc = useTRPC();
  const models = useQuery({ ...trpc.models.list.queryOptions(), retry: false });
  const chatModels = (models.data ?? []).filter((m) => m.role === "chat");
  const set = <K extends keyof ChatParams>(key: K, v: ChatParams[K]) => onChange({ ...value, [key]: v });

  return (
    <fieldset className="params">
      <legend className="visually-hidden">Model and sampling parameters</legend>
      <label>
        Model or tier
        <input
          name="model"
          list="chat-models"
          placeholder="server default"
          value={value.model}
          onChange={(e) => set("model", e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <datalist id="chat-models">
          <option value="auto">cascade: routed by health and confidence</option>
          {chatModels.map((m) => (
            <option key={m.id} value={m.id}>
              {m.isDefault ? "default" : m.state}
            </option>
          ))}
        </datalist>
      </label>
      {chatModels.length > 0 ? (
        <ul className="model-chips" aria-label="Served chat models" data-testid="chat-model-chips">
          {chatModels.map((m) => (
            <li key={m.id}>
              <button
                type="button"
                className="chip"
                aria-pressed={value.model === m.id || (value.model === "" && m.isDefault)}
                onClick={() => set("model", m.id)}
              >
                <span className="chip-id">{m.id}</span>
                <span className="chip-note">
                  {[
                    m.isDefault ? "API default" : null,
                    m.synthetic ? "synthetic: noise" : "real weights",
                    m.state,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <p className="muted small">
        More models: <Link href="/models">Models</Link> (catalog, pull, load).
      </p>
      <label>
        Temperature <output>{value.temperature.toFixed(2)}</output>
        <input
          name="temperature"
          type="range"
          min={0}
          max={2}
          step={0.05}
          value={value.temperature}
          onChange={(e) => set("temperature", Number(e.target.value))}
        />
      </label>
      <label>
        Top-p <output>{value.topP.toFixed(2)}</output>
        <input
          name="topP"
          type="range"
          min={0.05}
          max={1}
          step={0.05}
          value={value.topP}
          onChange={(e) => set("topP", Number(e.target.value))}
        />
      </label>
      <div className="row">
        <label>
          Max tokens
          <input
            name="maxTokens"
            type="number"
            min={1}
            max={4096}
            value={value.maxTokens}
            onChange={(e) => set("maxTokens", Math.max(1, Math.floor(Number(e.target.value) || 1)))}
          />
        </label>
        <label>
          Seed
          <input
            name="seed"
            type="number"
            min={0}
            placeholder="random"
            value={value.seed}
            onChange={(e) => set("seed", e.target.value)}
          />
        </label>
      </div>
      <label className="check">
        <input
          name="confidence"
          type="checkbox"
          checked={value.confidence}
          onChange={(e) => set("confidence", e.target.checked)}
        />
        Report confidence
      </label>
      <label>
        System prompt
        <textarea
          name="system"
          rows={2}
          value={value.system}
          onChange={(e) => set("system", e.target.value)}
        />
      </label>
      <label>
        JSON schema (constrains the output)
        <textarea
          name="jsonSchema"
          rows={3}
          spellCheck={false}
          placeholder='{"type":"object","properties":{"answer":{"type":"string"}}}'
          value={value.jsonSchema}
          onChange={(e) => set("jsonSchema", e.target.value)}
        />
      </label>
      <label>
        Tools (JSON list; the answer must call one)
        <textarea
          name="tools"
          rows={3}
          spellCheck={false}
          placeholder='[{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]'
          value={value.tools}
          onChange={(e) => set("tools", e.target.value)}
        />
      </label>
    </fieldset>
  );
}

"use client";

import { useState } from "react";
import { Markdown } from "./Markdown.tsx";
import { ToolCalls } from "./ToolCalls.tsx";
import type { AnswerMeta, ChatEntry } from "./types.ts";

function ms(v: number | null): string {
  return v === null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

function Meta({ meta, status }: { meta: AnswerMeta; status: ChatEntry["status"] }) {
  if (status === "error") {
    // Nothing was measured; the id is what to quote when asking about the failure.
    return (
      <dl className="meta" data-testid="message-meta">
        <div className="wide">
          <dt>correlation id</dt>
          <dd>
            <code data-testid="meta-request-id">{meta.requestId}</code>
          </dd>
        </div>
      </dl>
    );
  }
  return (
    <dl className="meta" data-testid="message-meta">
      <div>
        <dt>first token</dt>
        <dd data-testid="meta-ttft">{ms(meta.firstTokenMs)}</dd>
      </div>
      <div>
        <dt>tokens</dt>
        <dd data-testid="meta-tokens">{meta.generatedTokens === null ? "–" : meta.generatedTokens}</dd>
      </div>
      <div>
        <dt>tokens/s</dt>
        <dd data-testid="meta-tps">
          {meta.tokensPerSecond === null ? "–" : meta.tokensPerSecond.toFixed(1)}
        </dd>
      </div>
      <div>
        <dt>tier</dt>
        <dd data-testid="meta-tier">
          {meta.model ?? "–"}
          {meta.degraded ? " (degraded)" : ""}
        </dd>
      </div>
      <div>
        <dt>confidence</dt>
        <dd data-testid="meta-confidence">{meta.confidence === null ? "–" : meta.confidence.toFixed(3)}</dd>
      </div>
      <div>
        <dt>cache</dt>
        <dd data-testid="meta-cache">{status === "done" ? (meta.cached ? "hit" : "miss") : "–"}</dd>
      </div>
      <div className="wide">
        <dt>correlation id</dt>
        <dd>
          <code data-testid="meta-request-id">{meta.requestId}</code>
        </dd>
      </div>
    </dl>
  );
}

const STATUS_TEXT: Record<ChatEntry["status"], string> = {
  streaming: "streaming…",
  done: "",
  stopped: "stopped",
  error: "failed",
};

/** What a message's buttons do; the list itself keeps no chat state. */
export interface MessageActions {
  busy: boolean;
  onRegenerate: () => void;
  onEdit: (id: string, text: string) => void;
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="link"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          () => undefined,
        );
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

function UserEdit({ entry, onDone }: { entry: ChatEntry; onDone: (text: string | null) => void }) {
  const [text, setText] = useState(entry.content);
  return (
    <form
      className="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onDone(text.trim());
      }}
    >
      <label className="visually-hidden" htmlFor={`edit-${entry.id}`}>
        Edit message
      </label>
      <textarea id={`edit-${entry.id}`} rows={3} value={text} onChange={(e) => setText(e.target.value)} />
      <div className="composer-actions">
        <button type="submit" disabled={!text.trim()}>
          Send edited
        </button>
        <button type="button" className="secondary" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function MessageList({ entries, actions }: { entries: ChatEntry[]; actions?: MessageActions }) {
  const [editing, setEditing] = useState<string | null>(null);
  if (entries.length === 0) {
    return (
      <p className="empty" data-testid="chat-empty">
        No messages yet. Ask something below; the answer streams in as it is generated.
      </p>
    );
  }
  const lastAssistant = entries.findLastIndex((e) => e.role === "assistant");
  return (
    <ol className="messages">
      {entries.map((e, i) => (
        <li
          key={e.id}
          className={`message ${e.role}`}
          data-testid={`message-${e.role}`}
          data-status={e.status}
          data-pieces={e.pieces}
        >
          <div className="message-head">
            <span className="role">{e.role === "assistant" ? "Sluice" : "You"}</span>
            {STATUS_TEXT[e.status] ? (
              <span className={`status ${e.status}`} data-testid="message-status">
                {STATUS_TEXT[e.status]}
              </span>
            ) : null}
            {actions && e.status !== "streaming" && editing !== e.id ? (
              <span className="message-actions">
                {e.content.trim() ? <CopyButton text={e.content} /> : null}
                {e.role === "user" && !actions.busy ? (
                  <button type="button" className="link" onClick={() => setEditing(e.id)}>
                    Edit
                  </button>
                ) : null}
                {e.role === "assistant" && i === lastAssistant && !actions.busy ? (
                  <button type="button" className="link" onClick={actions.onRegenerate}>
                    Regenerate
                  </button>
                ) : null}
              </span>
            ) : null}
          </div>
          {e.image ? (
            <img className="message-image" src={e.image} alt="Attachment sent with this message" />
          ) : null}
          {editing === e.id ? (
            <UserEdit
              entry={e}
              onDone={(text) => {
                setEditing(null);
                if (text !== null) actions?.onEdit(e.id, text);
              }}
            />
          ) : e.role === "assistant" && e.content.trim() !== "" ? (
            <Markdown text={e.content} />
          ) : e.content.trim() !== "" || e.status === "streaming" ? (
            <p className="content" data-testid="message-content">
              {e.content || "…"}
            </p>
          ) : null}
          {e.content.length > 0 && e.content.trim() === "" && e.status !== "streaming" ? (
            <p className="muted small whitespace-note">
              The answer is {e.content.length} whitespace characters.
            </p>
          ) : null}
          {e.toolCalls ? <ToolCalls calls={e.toolCalls} /> : null}
          {e.meta ? <Meta meta={e.meta} status={e.status} /> : null}
        </li>
      ))}
    </ol>
  );
}

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

export function MessageList({ entries }: { entries: ChatEntry[] }) {
  if (entries.length === 0) {
    return (
      <p className="empty" data-testid="chat-empty">
        No messages yet. Ask something below; the answer streams in token by token.
      </p>
    );
  }
  return (
    <ol className="messages">
      {entries.map((e) => (
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
          </div>
          {e.image ? (
            <img className="message-image" src={e.image} alt="Attachment sent with this message" />
          ) : null}
          {e.content.trim() !== "" || e.status === "streaming" ? (
            <pre className="content" data-testid="message-content">
              {e.content || "…"}
            </pre>
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

"use client";

import type { Conversation } from "../../lib/conversations.ts";

/** Conversations kept in this browser: switch, start a new one, delete. */
export function ConversationList({
  conversations,
  currentId,
  onSelect,
  onNew,
  onDelete,
}: {
  conversations: Conversation[];
  currentId: string;
  onSelect: (id: string) => void;
  onNew: () => void;
  onDelete: (id: string) => void;
}) {
  return (
    <nav className="conversations" aria-label="Conversations">
      <button type="button" className="secondary new-chat" onClick={onNew}>
        New chat
      </button>
      {conversations.length === 0 ? (
        <p className="muted small">Conversations are kept in this browser.</p>
      ) : (
        <ul data-testid="conversation-list">
          {conversations.map((c) => (
            <li key={c.id} className={c.id === currentId ? "current" : undefined}>
              <button
                type="button"
                className="link conversation-title"
                aria-current={c.id === currentId ? "true" : undefined}
                onClick={() => onSelect(c.id)}
                title={c.title}
              >
                {c.title}
              </button>
              <button
                type="button"
                className="link danger-link"
                aria-label={`Delete conversation ${c.title}`}
                onClick={() => onDelete(c.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

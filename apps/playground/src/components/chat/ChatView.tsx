"use client";

import { useQuery } from "@tanstack/react-query";
import { type ChangeEvent, type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from "react";
import { useTRPC } from "../../lib/trpc.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { ConversationList } from "./ConversationList.tsx";
import { MessageList } from "./MessageList.tsx";
import { ParamsForm } from "./ParamsForm.tsx";
import { DEFAULT_PARAMS } from "./types.ts";
import { useChatStream } from "./useChatStream.ts";
import { useConversation } from "./useConversation.ts";
import { useFollow } from "./useFollow.ts";

function announce(status: string | undefined): string {
  if (status === "streaming") return "Sluice is answering";
  if (status === "done") return "Answer complete";
  if (status === "stopped") return "Generation stopped";
  return "";
}

/** The server's limit is 10 MiB per image; refusing larger files here saves the upload. */
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const IMAGE_TYPES = "image/png,image/jpeg,image/webp";

/**
 * The model a first visit chats with: the server's default, unless that one
 * has synthetic weights and a real chat model is loaded beside it (`pnpm
 * start` serves stories260K), so the first answer is text, not noise.
 */
function useSuggestedModel(): string | undefined {
  const trpc = useTRPC();
  const models = useQuery({ ...trpc.models.list.queryOptions(), retry: false });
  const list = models.data ?? [];
  if (!list.find((m) => m.isDefault)?.synthetic) return undefined;
  return list.find((m) => m.role === "chat" && !m.synthetic && m.state === "ready")?.id;
}

export function ChatView() {
  const [params, setParams] = useState(DEFAULT_PARAMS);
  const [modelTouched, setModelTouched] = useState(false);
  const [draft, setDraft] = useState("");
  const [image, setImage] = useState<{ name: string; url: string } | null>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const [sideOpen, setSideOpen] = useState(true);
  const conversation = useConversation();
  const chat = useChatStream(conversation.entries, conversation.setEntries);
  const suggested = useSuggestedModel();
  // The composer sits right below the last message: keeping it in view follows the stream.
  const endRef = useRef<HTMLFormElement>(null);
  useFollow(endRef, conversation.entries, chat.streaming);

  useEffect(() => {
    if (suggested && !modelTouched && params.model === "") setParams((p) => ({ ...p, model: suggested }));
  }, [suggested, modelTouched, params.model]);

  // Phones start with the settings folded, so the conversation comes first.
  useEffect(() => {
    if (window.matchMedia("(max-width: 800px)").matches) setSideOpen(false);
  }, []);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || chat.streaming) return;
    chat.send(text, params, image?.url);
    setDraft("");
    setImage(null);
  }

  function attach(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    setImageError(null);
    if (!file) return;
    if (!IMAGE_TYPES.split(",").includes(file.type)) {
      setImageError(`${file.name} is not a PNG, JPEG or WebP image`);
      return;
    }
    if (file.size > MAX_IMAGE_BYTES) {
      setImageError(`${file.name} is ${(file.size / 1048576).toFixed(1)} MiB; the limit is 10 MiB`);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => setImage({ name: file.name, url: String(reader.result) });
    reader.onerror = () => setImageError(`could not read ${file.name}`);
    reader.readAsDataURL(file);
  }

  // Enter sends, Shift+Enter adds a line, as in most chat tools; Escape stops.
  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape" && chat.streaming) {
      event.preventDefault();
      chat.stop();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  const switchTo = (action: () => void) => {
    chat.stop();
    action();
  };

  return (
    <div className="chat">
      <ConversationList
        conversations={conversation.conversations}
        currentId={conversation.currentId}
        onSelect={(id) => switchTo(() => conversation.select(id))}
        onNew={() => switchTo(conversation.startNew)}
        onDelete={(id) => switchTo(() => conversation.remove(id))}
      />
      <section className="chat-main" aria-label="Conversation">
        <MessageList
          entries={conversation.entries}
          actions={{
            busy: chat.streaming,
            onRegenerate: () => chat.regenerate(params),
            onEdit: (id, text) => chat.editAndResend(id, text, params),
          }}
        />
        {/* Announces the answer's state once, rather than every streamed token. */}
        <p className="visually-hidden" role="status">
          {announce(conversation.entries.at(-1)?.status)}
        </p>
        {chat.error ? <ErrorNote error={chat.error} /> : null}
        <form className="composer" onSubmit={submit} ref={endRef} data-testid="composer">
          <label htmlFor="prompt" className="visually-hidden">
            Message
          </label>
          <textarea
            id="prompt"
            name="prompt"
            rows={2}
            placeholder="Message (Enter sends, Shift+Enter adds a line, Esc stops)"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
          />
          {image ? (
            <figure className="attachment" data-testid="image-preview">
              <img src={image.url} alt={`Attached: ${image.name}`} />
              <figcaption>
                {image.name}{" "}
                <button type="button" className="secondary" onClick={() => setImage(null)}>
                  Remove image
                </button>
              </figcaption>
            </figure>
          ) : null}
          {imageError ? (
            <p className="error-text" role="alert">
              {imageError}
            </p>
          ) : null}
          <div className="composer-actions">
            {chat.streaming ? (
              <button type="button" className="danger" onClick={chat.stop}>
                Stop
              </button>
            ) : (
              <button type="submit" disabled={!draft.trim()}>
                Send
              </button>
            )}
            <label className="button secondary file-button">
              Attach image
              <input
                type="file"
                accept={IMAGE_TYPES}
                onChange={attach}
                className="visually-hidden"
                data-testid="image-input"
              />
            </label>
            <span className="muted small composer-model" data-testid="composer-model">
              {params.model.trim() || "server default"}
            </span>
          </div>
        </form>
      </section>
      <aside className="chat-side">
        <details
          open={sideOpen}
          className="params-box"
          onToggle={(e) => setSideOpen((e.target as HTMLDetailsElement).open)}
        >
          <summary>Model and sampling</summary>
          <ParamsForm
            value={params}
            onChange={(p) => {
              if (p.model !== params.model) setModelTouched(true);
              setParams(p);
            }}
          />
        </details>
        <p className="muted small">
          Images (PNG, JPEG, WebP, up to 10 MiB) go to vision models, those started with a projector (
          <code>--mmproj</code>); other models answer with INVALID_INPUT.
        </p>
      </aside>
    </div>
  );
}

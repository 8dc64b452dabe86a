"use client";

import { type ChangeEvent, type FormEvent, type KeyboardEvent, useState } from "react";
import { ErrorNote } from "../ErrorNote.tsx";
import { MessageList } from "./MessageList.tsx";
import { ParamsForm } from "./ParamsForm.tsx";
import { DEFAULT_PARAMS } from "./types.ts";
import { useChatStream } from "./useChatStream.ts";

function announce(status: string | undefined): string {
  if (status === "streaming") return "Sluice is answering";
  if (status === "done") return "Answer complete";
  if (status === "stopped") return "Generation stopped";
  return "";
}

/** The server's limit is 10 MiB per image; refusing larger files here saves the upload. */
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const IMAGE_TYPES = "image/png,image/jpeg,image/webp";

export function ChatView() {
  const [params, setParams] = useState(DEFAULT_PARAMS);
  const [draft, setDraft] = useState("");
  const [image, setImage] = useState<{ name: string; url: string } | null>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const chat = useChatStream();

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

  return (
    <div className="chat">
      <section className="chat-main" aria-label="Conversation">
        <MessageList entries={chat.entries} />
        {/* Announces the answer's state once, rather than every streamed token. */}
        <p className="visually-hidden" role="status">
          {announce(chat.entries.at(-1)?.status)}
        </p>
        {chat.error ? <ErrorNote error={chat.error} /> : null}
        <form className="composer" onSubmit={submit}>
          <label htmlFor="prompt" className="visually-hidden">
            Message
          </label>
          <textarea
            id="prompt"
            name="prompt"
            rows={3}
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
            {chat.streaming ? (
              <button type="button" className="danger" onClick={chat.stop}>
                Stop
              </button>
            ) : (
              <button type="submit" disabled={!draft.trim()}>
                Send
              </button>
            )}
            <button
              type="button"
              className="secondary"
              onClick={chat.clear}
              disabled={chat.entries.length === 0}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <aside className="chat-side">
        <details open className="params-box">
          <summary>Model and sampling</summary>
          <ParamsForm value={params} onChange={setParams} />
        </details>
        <p className="muted small">
          Images (PNG, JPEG, WebP, up to 10 MiB) go to vision models, those started with a projector (
          <code>--mmproj</code>); other models answer with INVALID_INPUT.
        </p>
      </aside>
    </div>
  );
}

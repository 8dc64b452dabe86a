"use client";

import { memo } from "react";
import ReactMarkdown from "react-markdown";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";

/**
 * An answer rendered as markdown (GitHub flavour: tables, lists, fenced code).
 * Model output is untrusted: react-markdown never renders raw HTML, and
 * rehype-sanitize's GitHub schema strips unsafe URLs and attributes as well.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown" data-testid="message-content">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSanitize]}>
        {text}
      </ReactMarkdown>
    </div>
  );
});

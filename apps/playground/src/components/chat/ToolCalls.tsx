/** A call the model made, as the chat stream's final event carries it. */
export interface ShownToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** The calls an answer ended with: function name and its arguments as JSON. */
export function ToolCalls({ calls }: { calls: readonly ShownToolCall[] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="tool-calls" data-testid="tool-calls" aria-label="Tool calls">
      {calls.map((c) => (
        <li key={c.id} data-testid="tool-call">
          <code className="tool-call-name">{c.name}</code>
          <pre className="content">{JSON.stringify(c.arguments, null, 2)}</pre>
        </li>
      ))}
    </ul>
  );
}

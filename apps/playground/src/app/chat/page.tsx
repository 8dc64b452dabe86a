import type { Metadata } from "next";
import { ChatView } from "../../components/chat/ChatView.tsx";

export const metadata: Metadata = { title: "Chat · Sluice playground" };

export default function ChatPage() {
  return (
    <>
      <h1>Chat</h1>
      <ChatView />
    </>
  );
}

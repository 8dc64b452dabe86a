import type { Metadata } from "next";
import { EmbeddingsView } from "../../components/embeddings/EmbeddingsView.tsx";

export const metadata: Metadata = { title: "Embeddings · Sluice playground" };

export default function EmbeddingsPage() {
  return (
    <>
      <h1>Embeddings</h1>
      <EmbeddingsView />
    </>
  );
}

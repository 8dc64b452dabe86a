import type { Metadata } from "next";
import { ModelsView } from "../../components/models/ModelsView.tsx";

export const metadata: Metadata = { title: "Models · Sluice playground" };

export default function ModelsPage() {
  return (
    <>
      <h1>Models</h1>
      <ModelsView />
    </>
  );
}

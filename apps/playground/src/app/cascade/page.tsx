import type { Metadata } from "next";
import { CascadeView } from "../../components/cascade/CascadeView.tsx";

export const metadata: Metadata = { title: "Cascade · Sluice playground" };

export default function CascadePage() {
  return (
    <>
      <h1>Cascade</h1>
      <CascadeView />
    </>
  );
}

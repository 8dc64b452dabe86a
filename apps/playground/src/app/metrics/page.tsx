import type { Metadata } from "next";
import { MetricsView } from "../../components/metrics/MetricsView.tsx";

export const metadata: Metadata = { title: "Metrics · Sluice playground" };

export default function MetricsPage() {
  return (
    <>
      <h1>Metrics</h1>
      <MetricsView />
    </>
  );
}

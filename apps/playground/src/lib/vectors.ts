/** Cosine similarity; 0 when either vector is all zeros. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Full similarity matrix of the vectors. */
export function similarityMatrix(vectors: readonly (readonly number[])[]): number[][] {
  return vectors.map((a) => vectors.map((b) => cosine(a, b)));
}

/** For each row, the other rows ordered by similarity, most similar first. */
export function nearestNeighbours(
  matrix: readonly (readonly number[])[],
): Array<Array<{ index: number; score: number }>> {
  return matrix.map((row, i) =>
    row
      .map((score, index) => ({ index, score }))
      .filter((n) => n.index !== i)
      .sort((x, y) => y.score - x.score),
  );
}

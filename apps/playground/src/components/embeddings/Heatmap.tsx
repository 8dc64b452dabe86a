/**
 * Similarity as a colour, from pale at the matrix's lowest score to deep blue
 * at 1: embeddings of one model are often all alike (0.9 and up), and an
 * absolute 0–1 scale would paint every cell the same.
 */
function shade(score: number, low: number): { background: string; color: string } {
  const t = low >= 1 ? 1 : Math.max(0, Math.min(1, (score - low) / (1 - low)));
  const light = Math.round(97 - t * 62);
  return { background: `hsl(212 80% ${light}%)`, color: light < 60 ? "#ffffff" : "#1b1f24" };
}

function short(text: string): string {
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

export function Heatmap({ texts, matrix }: { texts: string[]; matrix: number[][] }) {
  const low = Math.min(...matrix.flat());
  return (
    <div className="heatmap-wrap">
      <p className="muted small">
        Colour runs from the lowest score here ({low.toFixed(3)}, palest) to 1 (darkest).
      </p>
      <table className="heatmap" data-testid="heatmap">
        <caption className="visually-hidden">Cosine similarity between every pair of texts</caption>
        <thead>
          <tr>
            <td />
            {texts.map((t, j) => (
              <th key={`c${j}`} scope="col" title={t}>
                {j + 1}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={`r${i}`} data-testid="heatmap-row">
              <th scope="row" title={texts[i]}>
                {i + 1}. {short(texts[i] ?? "")}
              </th>
              {row.map((score, j) => (
                <td
                  key={`c${j}`}
                  style={shade(score, low)}
                  data-testid="heat-cell"
                  aria-label={`text ${i + 1} vs text ${j + 1}: ${score.toFixed(3)}`}
                >
                  {score.toFixed(2)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

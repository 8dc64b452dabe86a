/** Cosine similarity as a colour: white at 0 (or below), deep blue at 1. */
function shade(score: number): { background: string; color: string } {
  const t = Math.max(0, Math.min(1, score));
  const light = Math.round(97 - t * 62);
  return { background: `hsl(212 80% ${light}%)`, color: light < 60 ? "#ffffff" : "#1b1f24" };
}

function short(text: string): string {
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

export function Heatmap({ texts, matrix }: { texts: string[]; matrix: number[][] }) {
  return (
    <div className="heatmap-wrap">
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
                  style={shade(score)}
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

// Small SVG charts for the guides: plain strings, so they render on GitHub, in the docs site and in any
// Markdown viewer. The guides' code blocks import them as './charts.ts'.

/** One line of a line chart. */
export interface Series {
  readonly name: string;
  /** y values; x is their index times `xStep`. */
  readonly values: readonly number[];
  readonly color: string;
  readonly xStep?: number;
}

const FONT = 'font-family="sans-serif"';

function frame(title: string, width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img">` +
    `<title>${title}</title><rect width="100%" height="100%" fill="white"/>` +
    `<text x="8" y="18" font-size="14" font-weight="bold" ${FONT}>${title}</text>${body}</svg>`
  );
}

/** Round tick values between low and high: about five of them, at 1, 2 or 5 × 10ⁿ. */
function ticks(low: number, high: number): number[] {
  const raw = (high - low) / 5 || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const values: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step)
    values.push(Number(v.toPrecision(12)));
  return values;
}

/** Line chart of several series against a shared x axis. */
export function lineChart(
  title: string,
  series: readonly Series[],
  labels: { x: string; y: string },
  width = 600,
  height = 320,
): string {
  const pad = { left: 56, right: 130, top: 30, bottom: 40 };
  const all = series.flatMap((s) => s.values);
  // 5% of headroom above and below, so no line runs along the frame
  const margin = (Math.max(...all) - Math.min(...all)) * 0.05 || 1;
  const [low, high] = [Math.min(...all) - margin, Math.max(...all) + margin];
  const xMax = Math.max(...series.map((s) => (s.values.length - 1) * (s.xStep ?? 1)));
  const px = (x: number) => pad.left + (x / xMax) * (width - pad.left - pad.right);
  const py = (v: number) =>
    height - pad.bottom - ((v - low) / (high - low || 1)) * (height - pad.top - pad.bottom);
  const grid = ticks(low, high)
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#ddd"/>` +
        `<text x="${pad.left - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${FONT}>${v}</text>`,
    )
    .join('');
  const xTicks = ticks(0, xMax)
    .map(
      (x) =>
        `<text x="${px(x).toFixed(1)}" y="${height - pad.bottom + 14}" text-anchor="middle" font-size="11" ${FONT}>${x}</text>`,
    )
    .join('');
  const lines = series
    .map((s, k) => {
      const points = s.values
        .map((v, i) => `${px(i * (s.xStep ?? 1)).toFixed(1)},${py(v).toFixed(1)}`)
        .join(' ');
      return (
        `<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="1.6"/>` +
        `<text x="${width - pad.right + 8}" y="${pad.top + 16 + k * 18}" font-size="12" ${FONT} fill="${s.color}">${s.name}</text>`
      );
    })
    .join('');
  const axes =
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 6}" text-anchor="middle" font-size="12" ${FONT}>${labels.x}</text>` +
    `<text x="14" y="${(pad.top + height - pad.bottom) / 2}" text-anchor="middle" font-size="12" ${FONT} transform="rotate(-90 14 ${(pad.top + height - pad.bottom) / 2})">${labels.y}</text>`;
  return frame(title, width, height, grid + xTicks + lines + axes);
}

/** Horizontal bars, one per label, with the value printed at the end of each bar. */
export function barChart(
  title: string,
  bars: readonly { label: string; value: number }[],
  format: (value: number) => string = (value) => value.toPrecision(3),
  width = 600,
): string {
  const pad = { left: 150, right: 90, top: 34, row: 24 };
  const height = pad.top + bars.length * pad.row + 12;
  const max = Math.max(...bars.map((bar) => bar.value)) || 1;
  const body = bars
    .map((bar, i) => {
      const y = pad.top + i * pad.row;
      const length = (bar.value / max) * (width - pad.left - pad.right);
      return (
        `<text x="${pad.left - 8}" y="${y + 15}" text-anchor="end" font-size="12" ${FONT}>${bar.label}</text>` +
        `<rect x="${pad.left}" y="${y + 3}" width="${length.toFixed(1)}" height="${pad.row - 8}" fill="#4878a8"/>` +
        `<text x="${(pad.left + length + 6).toFixed(1)}" y="${y + 15}" font-size="12" ${FONT}>${format(bar.value)}</text>`
      );
    })
    .join('');
  return frame(title, width, height, body);
}

/** A Markdown table from a header and rows (numbers formatted by the caller). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

import { encodePng } from './png.js';

/** One line of a chart: points (step, value) and a color. */
export interface Series {
  readonly name: string;
  readonly color: readonly [number, number, number];
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };

function bounds(series: readonly Series[]) {
  const all = series.flatMap((line) => line.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0) * 0.05 || 1;
  return { x0, x1: x1 === x0 ? x0 + 1 : x1, y0: y0 - pad, y1: y1 + pad };
}

function projector(series: readonly Series[]) {
  const { x0, x1, y0, y1 } = bounds(series);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  return {
    x: (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotWidth,
    y: (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotHeight,
    x0,
    x1,
    y0,
    y1,
  };
}

/**
 * A line chart as SVG text: axes with their end values, one polyline per series, a legend.
 *
 * @example
 * ```ts
 * lineChartSvg('loss', [{ name: 'train', color: [31, 119, 180], points: [[1, 6.2], [2, 5.9]] }]);
 * ```
 */
export function lineChartSvg(title: string, series: readonly Series[]): string {
  const p = projector(series);
  const rgb = ([r, g, b]: readonly number[]) => `rgb(${r},${g},${b})`;
  const lines = series.map(
    (line) =>
      `<polyline fill="none" stroke="${rgb(line.color)}" stroke-width="2" points="${line.points
        .map(([x, y]) => `${p.x(x).toFixed(1)},${p.y(y).toFixed(1)}`)
        .join(' ')}"/>`,
  );
  const legend = series.map(
    (line, i) =>
      `<text x="${WIDTH - MARGIN.right - 150}" y="${MARGIN.top + 16 + 16 * i}" fill="${rgb(line.color)}" font-size="12">${line.name}</text>`,
  );
  const bottom = HEIGHT - MARGIN.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" role="img">`,
    `<title>${title}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${WIDTH - MARGIN.right}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="black"/>`,
    `<text x="${MARGIN.left}" y="${bottom + 16}" font-size="11">${p.x0}</text>`,
    `<text x="${WIDTH - MARGIN.right}" y="${bottom + 16}" font-size="11" text-anchor="end">${p.x1} steps</text>`,
    `<text x="${MARGIN.left - 4}" y="${MARGIN.top + 10}" font-size="11" text-anchor="end">${p.y1.toFixed(2)}</text>`,
    `<text x="${MARGIN.left - 4}" y="${bottom}" font-size="11" text-anchor="end">${p.y0.toFixed(2)}</text>`,
    ...lines,
    ...legend,
    '</svg>',
  ].join('\n');
}

/**
 * The same chart as a PNG (white background, axes, 2-pixel lines; labels are in the SVG only).
 *
 * @example
 * ```ts
 * writeFileSync('loss.png', lineChartPng([{ name: 'train', color: [31, 119, 180], points }]));
 * ```
 */
export function lineChartPng(series: readonly Series[]): Buffer {
  const p = projector(series);
  const pixels = new Uint8Array(WIDTH * HEIGHT * 3).fill(255);
  const plot = (x: number, y: number, color: readonly number[]) => {
    for (let dx = 0; dx < 2; dx++)
      for (let dy = 0; dy < 2; dy++) {
        const px = Math.round(x) + dx;
        const py = Math.round(y) + dy;
        if (px < 0 || py < 0 || px >= WIDTH || py >= HEIGHT) continue;
        pixels.set(color, (py * WIDTH + px) * 3);
      }
  };
  const segment = (ax: number, ay: number, bx: number, by: number, color: readonly number[]) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
    for (let i = 0; i <= steps; i++) plot(ax + ((bx - ax) * i) / steps, ay + ((by - ay) * i) / steps, color);
  };
  const bottom = HEIGHT - MARGIN.bottom;
  segment(MARGIN.left, bottom, WIDTH - MARGIN.right, bottom, [0, 0, 0]);
  segment(MARGIN.left, MARGIN.top, MARGIN.left, bottom, [0, 0, 0]);
  for (const line of series)
    line.points.forEach(([x, y], i) => {
      const previous = line.points[i - 1];
      if (previous) segment(p.x(previous[0]), p.y(previous[1]), p.x(x), p.y(y), line.color);
      else plot(p.x(x), p.y(y), line.color);
    });
  return encodePng(pixels, WIDTH, HEIGHT);
}

import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lineChartPng, lineChartSvg } from './chart.js';
import { encodePng } from './png.js';
import { unigramLoss } from './unigram.js';

const tokens = (values: number[]) => ({
  length: values.length,
  read: (offset: number, count: number) => values.slice(offset, offset + count),
});

describe('PNG and charts', () => {
  it('encodes a valid PNG: signature, IHDR, CRCs, rows that inflate back to the pixels', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]); // 2×2: red green / blue white
    const png = encodePng(rgb, 2, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(2);
    expect(png.readUInt32BE(20)).toBe(2);
    // The CRC of IHDR ("IHDR" + 13 bytes), as zlib's crc32 computes it.
    const { crc32 } = zlib as { crc32?: (data: Uint8Array) => number };
    if (crc32) expect(png.readUInt32BE(8 + 4 + 4 + 13)).toBe(crc32(png.subarray(12, 12 + 4 + 13)));
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    const rows = zlib.inflateSync(png.subarray(41, 41 + idatLength));
    // each row: filter byte 0, then 2 pixels × 3 bytes
    expect([...rows]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
    expect(png.subarray(png.length - 8, png.length - 4).toString('ascii')).toBe('IEND');
  });

  it('draws one polyline per series in SVG and colored pixels in PNG', () => {
    const series = [
      {
        name: 'train',
        color: [31, 119, 180] as const,
        points: [
          [1, 6],
          [2, 5],
          [3, 4.5],
        ] as Array<[number, number]>,
      },
      {
        name: 'validation',
        color: [214, 39, 40] as const,
        points: [
          [1, 6.1],
          [3, 4.9],
        ] as Array<[number, number]>,
      },
    ];
    const svg = lineChartSvg('loss', series);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('rgb(214,39,40)');
    const png = lineChartPng(series);
    const pixels = zlib.inflateSync(png.subarray(41, 41 + png.readUInt32BE(33)));
    let red = 0;
    for (let i = 0; i + 2 < pixels.length; i++)
      if (pixels[i] === 214 && pixels[i + 1] === 39 && pixels[i + 2] === 40) red++;
    expect(red).toBeGreaterThan(100); // a 2-pixel line across most of the plot
  });

  it('computes the unigram baseline with add-one smoothing', () => {
    // train [1, 1, 2], vocab 3: counts 1, 3, 2 of 6; validation [1, 2]: −(ln 3/6 + ln 2/6) / 2 = 0.8959
    expect(unigramLoss(tokens([1, 1, 2]), tokens([1, 2]), 3)).toBeCloseTo(
      -(Math.log(3 / 6) + Math.log(2 / 6)) / 2,
      12,
    );
    expect(unigramLoss(tokens([1, 1, 2]), tokens([1, 2]), 3)).toBeCloseTo(0.8959, 4);
  });
});

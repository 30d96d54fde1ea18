import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoraConfigError } from './errors.js';
import { AdapterRegistry } from './registry.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('AdapterRegistry', () => {
  it('numbers versions per family, copies files, keeps a latest pointer per family', () => {
    const adapterFile = join(root, 'adapter.gguf');
    const report = join(root, 'report.json');
    writeFileSync(adapterFile, 'GGUF…');
    writeFileSync(report, '{"steps": 10}');
    const registry = new AdapterRegistry(join(root, 'adapters'));
    const info = {
      baseHash: 'b'.repeat(64),
      datasetHash: 'd'.repeat(64),
      hyperparameters: { rank: 8 },
      metrics: { validationLoss: 1.5 },
    };
    expect(registry.register('support', [adapterFile, report], info).name).toBe('support-v1');
    expect(
      registry.register('support', [adapterFile], { ...info, metrics: { validationLoss: 1.2 } }).name,
    ).toBe('support-v2');
    expect(registry.register('legal', [adapterFile], info).name).toBe('legal-v1');
    expect(registry.latest('support')).toMatchObject({
      name: 'support-v2',
      version: 2,
      metrics: { validationLoss: 1.2 },
    });
    expect(registry.latest('legal')?.name).toBe('legal-v1');
    expect(registry.latest('toString')).toBeUndefined();
    expect(registry.list().map((entry) => entry.name)).toEqual(['support-v1', 'support-v2', 'legal-v1']);
    const first = registry.get('support-v1')!;
    expect(first.files).toEqual(['adapter.gguf', 'report.json']);
    expect(readFileSync(registry.pathOf(first, 'report.json'), 'utf8')).toBe('{"steps": 10}');
    expect(Date.parse(first.created)).not.toBeNaN();
    // Nothing half-written is left beside the registry.
    expect(readdirSync(join(root, 'adapters')).sort()).toEqual([
      'legal-v1',
      'registry.json',
      'support-v1',
      'support-v2',
    ]);
    expect(existsSync(join(root, 'adapters', 'registry.json'))).toBe(true);
  });

  it('refuses a family name that is not a plain slug', () => {
    const registry = new AdapterRegistry(join(root, 'other'));
    for (const family of ['', '../x', '__proto__', 'Support', 'a b'])
      expect(() =>
        registry.register(family, [], { baseHash: '', datasetHash: '', hyperparameters: {}, metrics: {} }),
      ).toThrow(LoraConfigError);
  });
});

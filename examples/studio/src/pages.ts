import type { SearchHit } from '@lm-stack/rag';
import type { HardwarePanel } from './hardware.js';
import { Html, html } from './html.js';
import type { Hyperparameters } from './hyperparameters.js';
import type { JobState } from './jobs/job-state.js';
import type { OllamaModels } from './ollama.js';
import { type ProjectConfig, UPLOAD_TYPES } from './project.js';
import { providerEndpoint, type Settings } from './studio-home.js';

export const TABS = [
  ['project', 'Project'],
  ['documents', 'Documents'],
  ['model', 'Model'],
  ['sft', 'SFT data'],
  ['training', 'Training & export'],
  ['chat', 'Chat'],
  ['settings', 'Settings'],
] as const;
export type Tab = (typeof TABS)[number][0];

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
header { background: #24364b; color: white; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
nav a { color: #cfe0f5; margin-right: 16px; text-decoration: none; }
nav a.active { color: white; font-weight: bold; border-bottom: 2px solid white; }
main { padding: 20px; max-width: 980px; }
section { background: white; border: 1px solid #dde2e8; border-radius: 6px; padding: 14px 18px; margin-bottom: 16px; }
h2 { font-size: 16px; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #e5e8ec; padding: 5px 8px; text-align: left; font-size: 14px; }
.message { padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; }
.message.error { background: #fdecea; border: 1px solid #f5c2bd; }
.message.info { background: #e8f4ea; border: 1px solid #b8dcc0; }
.warning { color: #9a5b00; }
.muted { color: #6b7683; }
pre.log { background: #1e2630; color: #d6e2ee; padding: 8px; max-height: 180px; overflow: auto; font-size: 12px; }
label { display: block; margin: 6px 0; }
input[type=text], input[type=url], input[type=password], input[type=number], select { padding: 4px 6px; min-width: 260px; }
button { padding: 5px 12px; }
.hit { border-left: 3px solid #4878a8; padding: 4px 10px; margin: 8px 0; font-size: 14px; }
`;

/** The page around a tab: header with the project's name, tabs, a message, the tab's content. */
export function layout(options: {
  tab: Tab;
  project: string | undefined;
  message?: { kind: 'error' | 'info'; text: string } | undefined;
  body: Html;
}): Html {
  const { tab, project, message, body } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lm-stack studio${project ? ` — ${project}` : ''}</title>
<style>${new Html(STYLE)}</style>
<script src="/assets/htmx.min.js"></script>
</head>
<body>
<header><h1>lm-stack studio</h1>
<nav>${TABS.map(([id, title]) => html`<a href="/?tab=${id}" class="${id === tab ? 'active' : ''}" data-tab="${id}">${title}</a>`)}</nav>
<span class="muted" id="current-project">${project ? `project: ${project}` : 'no project open'}</span></header>
<main>
${message ? html`<div class="message ${message.kind}" role="status">${message.text}</div>` : ''}
${body}
</main>
</body>
</html>`;
}

export function projectTab(
  projects: readonly string[],
  current: string | undefined,
  hardware: HardwarePanel,
): Html {
  return html`<section><h2>Projects</h2>
${projects.length === 0 ? html`<p class="muted">No projects yet: create one.</p>` : ''}
<table><tbody>${projects.map(
    (name) => html`<tr><td>${name}${name === current ? html` <strong>(open)</strong>` : ''}</td>
<td><form method="post" action="/projects/open"><input type="hidden" name="name" value="${name}"><button>Open</button></form></td></tr>`,
  )}</tbody></table>
<form method="post" action="/projects" style="margin-top:12px">
<label>New project <input type="text" name="name" id="new-project-name" placeholder="my-project" required pattern="[A-Za-z0-9_-]{1,64}"></label>
<button id="create-project">Create</button></form></section>
<section id="hardware"><h2>Hardware</h2><table><tbody>
<tr><td>CPU</td><td>${hardware.cpu}</td></tr>
<tr><td>Cores</td><td>${hardware.cores}</td></tr>
<tr><td>RAM</td><td>${hardware.memoryGiB.toFixed(1)} GiB</td></tr>
<tr><td>TensorFlow.js backend</td><td>${hardware.backend}</td></tr>
<tr><td>Native GEMM</td><td>${hardware.nativeGemm}</td></tr>
<tr><td>GPU backends</td><td>${hardware.gpuBackends.length ? hardware.gpuBackends.join(', ') : 'none (npm install @tensorflow/tfjs-node-gpu on a machine with CUDA)'}</td></tr>
</tbody></table>
${hardware.warnings.map((warning) => html`<p class="warning">⚠ ${warning}</p>`)}</section>`;
}

function jobBox(job: JobState | undefined, tab: Tab): Html {
  if (!job) return html`<div id="job" class="muted">No processing has run yet.</div>`;
  return html`<div id="job" data-status="${job.status}">
<p><strong>${job.kind}</strong>: <span id="job-status">${job.status}</span>
<span id="job-progress">${job.done}/${job.total}</span> <span id="job-summary">${job.summary}</span></p>
<pre class="log" id="job-log">${job.log.join('\n')}</pre>
${job.status === 'running' ? html`<form method="post" action="/jobs/stop"><input type="hidden" name="tab" value="${tab}"><button id="stop">Stop</button></form>` : ''}</div>`;
}

// Server-sent events keep the job box current; when the job ends the page reloads for the new table.
const JOB_SCRIPT = new Html(`<script>
const events = new EventSource('/jobs/events');
events.onmessage = (event) => {
  const job = JSON.parse(event.data);
  const box = document.getElementById('job');
  if (!box || !document.getElementById('job-status')) return location.reload();
  document.getElementById('job-status').textContent = job.status;
  document.getElementById('job-progress').textContent = job.done + '/' + job.total;
  document.getElementById('job-summary').textContent = job.summary;
  document.getElementById('job-log').textContent = job.log.join('\\n');
  if (box.dataset.status === 'running' && job.status !== 'running') { events.close(); location.reload(); }
};
</script>`);

export function documentsTab(options: {
  documents: readonly { name: string; bytes: number; chunks: number | undefined }[];
  job: JobState | undefined;
  totalChunks: number;
  config: ProjectConfig;
}): Html {
  const { documents, job, totalChunks, config } = options;
  return html`<section><h2>Upload documents</h2>
<form method="post" action="/documents" enctype="multipart/form-data">
<input type="file" name="files" multiple accept="${UPLOAD_TYPES.join(',')}" id="upload-input">
<button id="upload">Upload</button> <span class="muted">PDF, TXT, MD, DOCX</span></form></section>
<section><h2>Documents</h2>
${
  documents.length === 0
    ? html`<p class="muted">No documents uploaded.</p>`
    : html`<table id="documents"><thead><tr><th>file</th><th>bytes</th><th>status</th></tr></thead><tbody>${documents.map(
        (document) =>
          html`<tr><td>${document.name}</td><td>${document.bytes.toLocaleString('en-US')}</td><td>${
            document.chunks === undefined
              ? 'not processed'
              : `${document.chunks} chunk${document.chunks === 1 ? '' : 's'}`
          }</td></tr>`,
      )}</tbody></table>`
}
<p id="chunk-count">${totalChunks.toLocaleString('en-US')} chunks in the database</p>
<form method="post" action="/documents/process" style="display:inline"><button id="process">Process</button></form>
<span class="muted">chunks of ${config.chunkSize} tokens with ${config.overlap} overlap (cl100k), stored in data/rag.db</span>
${totalChunks > 0 ? html` · <a href="/documents/export" id="export">Export database</a>` : ''}
${jobBox(job, 'documents')}</section>
<section><h2>Search</h2>
<input type="text" name="q" id="search" placeholder="search the documents" hx-get="/documents/search" hx-trigger="input changed delay:300ms, search" hx-target="#results">
<div id="results"></div></section>
${job?.status === 'running' ? JOB_SCRIPT : ''}`;
}

export function searchResults(query: string, hits: readonly SearchHit[]): Html {
  if (!query.trim()) return html``;
  if (hits.length === 0) return html`<p class="muted">Nothing found for “${query}”.</p>`;
  return html`${hits.map(
    (hit) =>
      html`<div class="hit"><strong>${hit.filename.split('/').pop()}</strong> #${hit.chunkIndex} <span class="muted">score ${hit.score.toFixed(4)}</span><br>${hit.text.slice(0, 300)}${hit.text.length > 300 ? '…' : ''}</div>`,
  )}`;
}

export function modelTab(options: {
  config: ProjectConfig;
  projectModels: readonly string[];
  ollama: OllamaModels;
}): Html {
  const { config, projectModels, ollama } = options;
  const base = config.base;
  const checked = (yes: boolean) => (yes ? new Html(' checked') : '');
  return html`<form method="post" action="/model"><section><h2>Base model</h2>
<p class="muted">A model trained in this project, a GGUF file, or a model a running Ollama lists.</p>
${projectModels.map(
  (name) =>
    html`<label><input type="radio" name="base" value="project:${name}"${checked(base?.kind === 'gguf' && base.path === name)}> ${name} <span class="muted">(this project)</span></label>`,
)}
<label><input type="radio" name="base" value="path"${checked(base?.kind === 'gguf' && !projectModels.includes(base.path))}> GGUF file
<input type="text" name="path" placeholder="/path/to/model.gguf" value="${base?.kind === 'gguf' && !projectModels.includes(base.path) ? base.path : ''}"></label>
<h3>Ollama</h3>
${
  ollama.ok
    ? ollama.models.length
      ? ollama.models.map(
          (model) =>
            html`<label><input type="radio" name="base" value="ollama:${model}"${checked(base?.kind === 'ollama' && base.model === model)}> ${model}</label>`,
        )
      : html`<p class="muted">Ollama runs but lists no models (ollama pull …).</p>`
    : html`<p class="warning" id="ollama-status">⚠ ${ollama.message}</p>`
}</section>
<section><h2>Output formats</h2>
<label><input type="checkbox" name="gguf"${checked(config.outputs.gguf)}> GGUF, quantized as
<select name="quantization">${(['F32', 'Q8_0', 'Q4_0'] as const).map(
    (type) =>
      html`<option${config.outputs.quantization === type ? new Html(' selected') : ''}>${type}</option>`,
  )}</select></label>
<label><input type="checkbox" name="peft"${checked(config.outputs.peft)}> LoRA adapter as PEFT safetensors</label>
<label><input type="checkbox" name="modelfile"${checked(config.outputs.modelfile)}> Ollama Modelfile</label>
<button id="save-model">Save</button></section></form>`;
}

/** The LoRA hyperparameter inputs (training tab and the settings' defaults). */
function hyperparameterFields(values: Hyperparameters): Html {
  return html`<label>Learning rate <input type="number" name="learningRate" step="any" min="0" value="${values.learningRate}"></label>
<label>Batch size <input type="number" name="batchSize" min="1" max="256" value="${values.batchSize}"></label>
<label>Epochs <input type="number" name="epochs" min="1" max="100" value="${values.epochs}"></label>
<label>LoRA rank <input type="number" name="rank" min="1" max="256" value="${values.rank}"></label>
<label>LoRA alpha <input type="number" name="alpha" min="1" max="1024" value="${values.alpha}"></label>`;
}

/** The API key is never sent back whole: the page shows whether one is set and its last four characters. */
export function maskKey(key: string): string {
  if (!key) return 'not set';
  return `set (…${key.slice(-4)})`;
}

export function settingsTab(settings: Settings, settingsPath: string): Html {
  const selected = (yes: boolean) => (yes ? new Html(' selected') : '');
  return html`<form method="post" action="/settings"><section><h2>API</h2>
<label>Provider <select name="provider">
<option value="ollama"${selected(settings.provider === 'ollama')}>Ollama</option>
<option value="openai-compatible"${selected(settings.provider === 'openai-compatible')}>OpenAI-compatible (OpenRouter, vLLM, lm-stack-serve)</option>
</select></label>
<label>Ollama URL <input type="url" name="ollamaUrl" value="${settings.ollamaUrl}"></label>
<label>OpenAI-compatible base URL <input type="url" name="openAiBaseUrl" value="${settings.openAiBaseUrl}"></label>
<label>API key <input type="password" name="apiKey" autocomplete="off" placeholder="leave empty to keep"> <span class="muted" id="key-status">${maskKey(settings.apiKey)}</span></label>
</section><section><h2>Defaults</h2>
<label>Temperature <input type="number" name="temperature" min="0" max="2" step="0.1" value="${settings.temperature}"></label>
<label><input type="checkbox" name="forceCpu"${settings.forceCpu ? new Html(' checked') : ''}> Force CPU (the plain tfjs CPU backend)</label>
</section><section><h2>Defaults for new projects</h2>
<label>System prompt<br><textarea name="systemPrompt" rows="3" cols="100">${settings.defaults.systemPrompt}</textarea></label>
<label>User template<br><textarea name="userTemplate" rows="4" cols="100">${settings.defaults.userTemplate}</textarea></label>
${hyperparameterFields(settings.defaults)}
<p class="muted">Saved in ${settingsPath} (readable by you only).</p>
<button id="save-settings">Save</button></section></form>`;
}

export function sftTab(options: {
  config: ProjectConfig;
  settings: Settings;
  models: readonly string[];
  job: JobState | undefined;
  preview: readonly { instruction: string; output: string }[];
  written: number;
}): Html {
  const { config, settings, models, job, preview, written } = options;
  const sft = config.sft;
  const endpoint = providerEndpoint(settings);
  return html`<form method="post" action="/sft"><section><h2>Helper model</h2>
<p>Provider: <strong>${settings.provider === 'ollama' ? 'Ollama' : 'OpenAI-compatible'}</strong> at ${endpoint}
<span class="muted">(API key ${maskKey(settings.apiKey)}; change in Settings)</span></p>
<label>Model <input type="text" name="model" list="model-list" value="${sft.model}" placeholder="a model the API lists"></label>
<datalist id="model-list">${models.map((model) => html`<option value="${model}"></option>`)}</datalist>
<button name="action" value="models" id="refresh-models">Refresh models</button>
<button name="action" value="test" id="test-api">Test API</button>
${models.length ? html`<p class="muted" id="models">${models.length} model${models.length === 1 ? '' : 's'}: ${models.slice(0, 8).join(', ')}${models.length > 8 ? '…' : ''}</p>` : ''}
</section><section><h2>Prompts</h2>
<label>System prompt<br><textarea name="systemPrompt" rows="4" cols="100">${sft.systemPrompt}</textarea></label>
<label>User template ({topic}, {context}, {n})<br><textarea name="userTemplate" rows="5" cols="100">${sft.userTemplate}</textarea></label>
<button name="action" value="reset" id="reset-prompts">Reset to defaults</button>
</section><section><h2>Generate</h2>
<label>Samples <input type="number" name="samples" min="1" max="1000" value="${sft.samples}"></label>
<label>Temperature <input type="number" name="temperature" min="0" max="2" step="0.1" value="${sft.temperature}"></label>
<label>Longest question <input type="number" name="maxInstructionLength" min="20" max="2000" value="${sft.maxInstructionLength}"> characters</label>
<label>Longest answer <input type="number" name="maxOutputLength" min="20" max="8000" value="${sft.maxOutputLength}"> characters</label>
<button name="action" value="save" id="save-sft">Save</button>
<button name="action" value="generate" id="generate">Generate</button>
<span class="muted">one sample per chunk of the documents' database, into data/sft-generated.jsonl</span>
</section></form>
<section><h2>Progress</h2>${jobBox(job, 'sft')}</section>
<section><h2>Preview</h2>
<p id="sample-count">${written} samples in data/sft-generated.jsonl</p>
${
  preview.length
    ? html`<table id="preview"><thead><tr><th>instruction</th><th>output</th></tr></thead><tbody>${preview.map(
        (sample) => html`<tr><td>${sample.instruction}</td><td>${sample.output}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No samples yet.</p>`
}</section>
${job?.status === 'running' ? JOB_SCRIPT : ''}`;
}

/** The loss curve as an SVG polyline (the page script redraws it from each update). */
export function lossChart(losses: readonly number[]): Html {
  const [width, height] = [600, 180];
  if (losses.length < 2)
    return html`<svg id="loss-chart" width="${width}" height="${height}" role="img"><title>training loss</title></svg>`;
  const [low, high] = [Math.min(...losses), Math.max(...losses)];
  const points = losses
    .map(
      (loss, i) =>
        `${((i / (losses.length - 1)) * (width - 20) + 10).toFixed(1)},${(height - 10 - ((loss - low) / (high - low || 1)) * (height - 20)).toFixed(1)}`,
    )
    .join(' ');
  return html`<svg id="loss-chart" width="${width}" height="${height}" role="img" style="background:#fafbfc;border:1px solid #e5e8ec"><title>training loss</title><polyline points="${points}" fill="none" stroke="#4878a8" stroke-width="2"/></svg>`;
}

// Redraws the loss chart and the current/best loss from each server-sent update.
const CHART_SCRIPT = new Html(`<script>
const chartEvents = new EventSource('/jobs/events');
chartEvents.onmessage = (event) => {
  const { losses } = JSON.parse(event.data);
  if (!losses || losses.length < 2) return;
  const [w, h] = [600, 180], low = Math.min(...losses), high = Math.max(...losses);
  const points = losses.map((l, i) => ((i / (losses.length - 1)) * (w - 20) + 10).toFixed(1) + ',' + (h - 10 - ((l - low) / (high - low || 1)) * (h - 20)).toFixed(1)).join(' ');
  document.getElementById('loss-chart').innerHTML = '<title>training loss</title><polyline points="' + points + '" fill="none" stroke="#4878a8" stroke-width="2"/>';
  document.getElementById('loss-now').textContent = losses[losses.length - 1].toFixed(4);
  document.getElementById('loss-best').textContent = Math.min(...losses).toFixed(4);
};
</script>`);

export function trainingTab(options: {
  config: ProjectConfig;
  job: JobState | undefined;
  samples: number;
  outputs: readonly string[];
  finalFolder: string;
}): Html {
  const { config, job, samples, outputs, finalFolder } = options;
  const t = config.training;
  const training = job?.kind === 'training' ? job : undefined;
  const losses = training?.losses ?? [];
  const base = config.base?.kind === 'gguf' ? config.base.path : undefined;
  return html`<form method="post" action="/training"><section><h2>LoRA fine-tuning</h2>
<p>Base: ${base ? html`<strong>${base.split('/').pop()}</strong>` : html`<span class="warning">none: choose a GGUF in the Model tab</span>`} ·
<span id="training-samples">${samples} SFT samples</span></p>
${hyperparameterFields(t)}
<button name="action" value="start" id="train">Start</button>
<button name="action" value="pause" id="pause">Pause</button>
<button name="action" value="resume" id="resume">Resume</button>
<button name="action" value="cancel" id="cancel">Cancel</button>
</section></form>
<section><h2>Progress</h2>
${lossChart(losses)}
<p>current loss <strong id="loss-now">${losses.length ? losses[losses.length - 1]!.toFixed(4) : '—'}</strong> ·
best <strong id="loss-best">${losses.length ? Math.min(...losses).toFixed(4) : '—'}</strong></p>
${jobBox(training, 'training')}</section>
<section><h2>Exported</h2>
${outputs.length ? html`<ul id="outputs">${outputs.map((name) => html`<li>${name}</li>`)}</ul><p class="muted">in ${finalFolder}</p>` : html`<p class="muted">Nothing yet: training exports the adapter, the merged GGUF and a Modelfile (formats in the Model tab).</p>`}
</section>
${training?.status === 'running' ? html`${JOB_SCRIPT}${CHART_SCRIPT}` : ''}`;
}

// Sends the message, reads the NDJSON stream of both answers and appends each piece to its column.
const CHAT_SCRIPT = new Html(`<script>
document.getElementById('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = document.getElementById('chat-message').value;
  for (const column of document.querySelectorAll('.answer')) column.textContent = '';
  document.getElementById('chat-state').textContent = 'answering…';
  const response = await fetch('/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split('\\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (!line) continue;
      const piece = JSON.parse(line);
      if (piece.error) document.getElementById('chat-state').textContent = piece.error;
      else document.querySelector('[data-model="' + piece.model + '"]').textContent += piece.text;
    }
  }
  if (document.getElementById('chat-state').textContent === 'answering…') document.getElementById('chat-state').textContent = 'done';
});
</script>`);

export function chatTab(models: readonly string[] | string): Html {
  if (typeof models === 'string')
    return html`<section><h2>Chat</h2><p class="warning" id="chat-state">⚠ ${models}</p></section>`;
  return html`<section><h2>Chat with the result</h2>
<form id="chat-form"><textarea id="chat-message" rows="2" cols="90">Who is Ishmael?</textarea><br>
<button id="send">Send</button> <span class="muted" id="chat-state"></span></form></section>
<section style="display:flex;gap:16px">${models.map(
    (model) =>
      html`<div style="flex:1"><h2>${model === 'base' ? 'without the adapter' : 'with the adapter'} <span class="muted">(${model})</span></h2><div class="answer" data-model="${model}" style="white-space:pre-wrap;min-height:60px"></div></div>`,
  )}</section>
${CHAT_SCRIPT}`;
}

// The page: controls, dropped files, the training loop (one step queued per animation frame,
// losses read every "refresh" steps), the loss chart, the sample grid and the strip. ?test=1
// runs the end-to-end check that web/test.sh drives and logs "TEST: ..." lines to the console.
import init, { openGpu, checkShaders, goldenCheck, Training, Loaded, Data } from './pkg/wgpu_ddpm_web.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const testing = params.has('test');
const log = (s) => console.log('TEST: ' + s);
const state = { training: null, loaded: null, losses: [], paused: false, running: false, dropped: null, data: null };

function showError(e) {
  const el = $('error'); el.hidden = false; el.textContent = String(e && e.message || e);
  if (testing) log('ERROR ' + el.textContent);
}
const value = (id) => params.get(id) ?? $(id).value;
const nextFrame = () => new Promise((r) => setTimeout(r, 0));

function drawChart() {
  const c = $('chart'), g = c.getContext('2d'), pts = state.losses;
  g.clearRect(0, 0, c.width, c.height);
  if (pts.length < 2) return;
  const ys = pts.map(([, l]) => Math.log10(Math.max(l, 1e-6)));
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const maxStep = pts[pts.length - 1][0];
  const X = (s) => 40 + (c.width - 50) * s / maxStep;
  const Y = (y) => 10 + (c.height - 35) * (hi - y) / Math.max(hi - lo, 1e-3);
  g.strokeStyle = '#999'; g.beginPath(); g.moveTo(40, 10); g.lineTo(40, c.height - 25);
  g.lineTo(c.width - 10, c.height - 25); g.stroke();
  g.fillStyle = '#444'; g.font = '11px sans-serif';
  g.fillText(Math.pow(10, hi).toPrecision(2), 2, 14); g.fillText(Math.pow(10, lo).toPrecision(2), 2, c.height - 28);
  g.fillText('step ' + maxStep, c.width - 70, c.height - 8);
  g.strokeStyle = '#1565c0'; g.beginPath();
  pts.forEach(([s], i) => (i ? g.lineTo(X(s), Y(ys[i])) : g.moveTo(X(s), Y(ys[i]))));
  g.stroke();
}

// images: n * c * size * size floats in [-1, 1] (c = 1 grey, 3 RGB planes), drawn as a
// cols-wide grid scaled to the canvas.
function drawImages(canvas, pixels, n, size, cols, c = 1) {
  const rows = Math.ceil(n / cols), img = new ImageData(cols * size, rows * size), p = size * size;
  for (let k = 0; k < n; k++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const o = 4 * (((Math.floor(k / cols) * size + y) * cols * size) + (k % cols) * size + x);
    for (let ch = 0; ch < 3; ch++) {
      const v = pixels[(k * c + Math.min(ch, c - 1)) * p + y * size + x];
      img.data[o + ch] = Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5);
    }
    img.data[o + 3] = 255;
  }
  const tmp = new OffscreenCanvas(img.width, img.height); tmp.getContext('2d').putImageData(img, 0, 0);
  const g = canvas.getContext('2d'); g.imageSmoothingEnabled = false;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.drawImage(tmp, 0, 0, canvas.width, canvas.width * rows / cols);
}

async function showSamples(source, size, c = 1) {
  const n = 16, strip = 8;
  const out = await source.sample(n, 50, 7, strip);
  drawImages($('grid'), out, n, size, 4, c);
  drawImages($('strip'), out.subarray(n * c * size * size), strip, size, strip, c);
  return out;
}

// Dropped files stay here as bytes and are decoded (again) at the size and colour chosen.
function decodeDropped() {
  const size = Number(value('size')), c = Number(value('colour')), d = state.dropped;
  if (!state.data || state.data.size !== size || state.data.channels !== (d.idx ? 1 : c)) {
    state.data = Data.fromFiles(d.what, d.files.map(([n]) => n), d.files.map(([, b]) => b), size, c);
    d.idx = state.data.description.startsWith('IDX');
  }
  return state.data;
}

// The drop handler's work once the files are read: decode, then show what was loaded.
async function useFiles(what, files) {
  if (state.running) throw new Error('a run is training: let it finish or reload the page before dropping files');
  state.dropped = { what, files }; state.data = null;
  let data;
  try { data = decodeDropped(); } catch (e) { state.dropped = null; $('data').textContent = ''; $('start').textContent = 'Train on the built-in shapes'; throw e; }
  $('data').textContent = `Loaded ${data.description}` + (data.notes ? '\n' + data.notes : '');
  $('start').textContent = `Train on ${what}`; $('builtin').hidden = false;
  const n = Math.min(16, data.count);
  drawImages($('grid'), data.images(n), n, data.size, 4, data.channels);
  return data;
}

// Everything a drop holds: folders are walked (webkitGetAsEntry); a DataTransfer without
// entries (a synthetic one, in the test mode) gives its files.
async function readDrop(dt) {
  const files = [], entries = [...dt.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry());
  const read = async (f, name) => files.push([name, new Uint8Array(await f.arrayBuffer())]);
  const walk = async (e, path) => {
    if (e.isFile) return read(await new Promise((ok, no) => e.file(ok, no)), path + e.name);
    const r = e.createReader();
    for (let batch; (batch = await new Promise((ok, no) => r.readEntries(ok, no))).length;) {
      for (const c of batch) await walk(c, path + e.name + '/');
    }
  };
  if (entries.length && entries.every(Boolean)) for (const e of entries) await walk(e, '');
  else for (const f of dt.files) await read(f, f.name);
  const one = entries.length === 1 && entries[0];
  const what = one && one.isDirectory ? `the folder '${one.name}'`
    : files.length === 1 ? (files[0][0].toLowerCase().endsWith('.zip') ? 'the zip' : 'the file') + ` '${files[0][0]}'`
    : `the ${files.length} dropped files`;
  return useFiles(what, files);
}

async function train(over = {}) {
  const size = Number(value('size')), steps = over.steps ?? Number(value('steps')), every = over.every ?? Number(value('every'));
  const data = state.dropped ? decodeDropped() : Data.builtin(size), c = data.channels;
  state.training = new Training(data, value('net'), value('channels'), Number(value('batch')),
    steps, Number(value('lr')), 0, every);
  state.losses = []; state.running = true; $('pause').disabled = false; $('download').disabled = false;
  const t0 = performance.now();
  let timedFrom = null, timedSteps = 0; // steps/s over the steps since the last refresh
  while (state.training.step < steps) {
    // Rust holds the run while a readback is awaited, so a download waits for the loop.
    if (state.wantDownload) { state.wantDownload = false; await download(); }
    if (state.paused) { await new Promise((r) => (state.resume = r)); }
    const full = state.training.submitStep();
    if (full || state.training.step === steps) {
      const l = await state.training.losses();
      for (let i = 0; i < l.length; i += 2) state.losses.push([l[i], l[i + 1]]);
      // The first refresh includes pipeline builds: time the steps after it.
      const done = state.training.step, secs = (performance.now() - (timedFrom ?? 0)) / 1000;
      const rate = timedFrom !== null && done > timedSteps ? (done - timedSteps) / secs : NaN;
      const left = rate > 0 ? (steps - done) / rate : NaN;
      $('progress').textContent = `step ${done} / ${steps}, loss ${state.losses.at(-1)[1].toFixed(4)}, ` +
        (rate > 0 ? `${rate.toFixed(2)} steps/s, about ${Math.ceil(left)} s left` : 'measuring speed…');
      drawChart();
      await showSamples(state.training, size, c);
      if (testing) log(`progress step ${done} loss ${state.losses.at(-1)[1]} steps_per_s ${rate}`);
      // The first window holds the pipeline builds and sampling is not training: the clock
      // runs from the end of one refresh to the next one's readback.
      if (rate > 0) state.rate = rate;
      timedSteps = done; timedFrom = performance.now();
    }
    await nextFrame();
  }
  state.running = false; $('pause').disabled = true;
  $('progress').textContent += ` (done in ${((performance.now() - t0) / 1000).toFixed(0)} s)`;
}

async function download() {
  const bytes = await state.training.checkpoint();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = `wgpu-ddpm-step${state.training.step}.safetensors`; a.click();
}

async function load(file) {
  const size = Number($('size').value);
  state.loaded = new Loaded(new Uint8Array(await file.arrayBuffer()), size);
  $('progress').textContent = `loaded ${file.name}; sampling…`;
  await showSamples(state.loaded, state.loaded.size, state.loaded.channels);
  $('progress').textContent = `samples of ${file.name}`;
}

const fetched = async (name) => {
  const r = await fetch('/files/' + name);
  if (!r.ok) throw new Error(`could not fetch /files/${name} (${r.status})`);
  return new Uint8Array(await r.arrayBuffer());
};

// The PyTorch golden of tests/golden.rs on the same fixtures (?golden=seed-unet,seed001,...).
async function goldenTest() {
  for (const net of (params.get('golden') || 'seed-unet').split(',')) {
    const files = net === 'seed-unet' ? [await fetched('torch_unet_tiny.safetensors'), await fetched('torch_unet_golden.safetensors')]
      : [await fetched(`golden_${net}.safetensors`), new Uint8Array()];
    const line = await goldenCheck(net, ...files);
    log(line);
    if (line.includes('FAILED')) log('ERROR ' + line);
  }
}

// A file fetched from the server dropped on the page as a synthetic DataTransfer and drop
// event (the page's own drop listener runs), then a few training steps on what it loaded.
async function dropTest(name, steps) {
  const dt = new DataTransfer(); dt.items.add(new File([await fetched(name)], name));
  document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  const data = await state.dropping;
  await train({ steps, every: steps });
  const l = state.losses.map(([, v]) => v);
  log(`drop ${name} count ${data.count} size ${data.size} channels ${data.channels} steps ${state.training.step} ` +
    `loss ${l[0]} ${l.at(-1)} finite ${l.length === steps && l.every(Number.isFinite)} notes ${data.notes.split('\n').join(' | ')}`);
  $('builtin').click();
}

async function selfTest() {
  log('shaders ' + (await checkShaders()).split('\n').join(' | '));
  await goldenTest();
  const dropSteps = Number(params.get('drop_steps') || 4);
  for (const name of (params.get('drops') || '').split(',').filter(Boolean)) await dropTest(name, dropSteps);
  try {
    await readDrop({ items: [], files: [new File(['hello'], 'notes.txt')] });
    log('ERROR a dropped text file was accepted');
  } catch (e) { log('drop notes.txt refused: ' + (e.message || e)); }
  await train();
  const first = state.losses.slice(0, 5), last = state.losses.slice(-5);
  const mean = (a) => a.reduce((s, [, l]) => s + l, 0) / a.length;
  log(`loss first ${mean(first)} last ${mean(last)}`);
  log(`steps_per_s ${state.rate}`);
  const evalArgs = [Number(params.get('eval_count') || 64), Number(params.get('eval_batch') || 16), 0];
  log(`eval ${await state.training.eval(...evalArgs)} count ${evalArgs[0]} batch ${evalArgs[1]}`);
  const bytes = await state.training.checkpoint();
  const r = await fetch('/upload/checkpoint.safetensors', { method: 'POST', body: bytes });
  log(`checkpoint ${bytes.length} bytes, upload ${r.status}`);
  const loaded = new Loaded(bytes, Number(value('size')));
  const out = await showSamples(loaded, loaded.size);
  // The samples end on the clipped x0; the strip holds the x_t on the way (eps unclipped).
  const fin = out.subarray(0, 16 * loaded.channels * loaded.size ** 2), strip = out.subarray(fin.length);
  const range = (v) => `${Math.min(...v)} ${Math.max(...v)}`;
  log(`sample finite ${out.every(Number.isFinite)} range ${range(fin)} strip range ${range(strip)}`);
}

async function main() {
  // ?hold=N: an image that loads after N seconds keeps the load event (and a headless
  // --screenshot) waiting while the page trains.
  if (params.has('hold')) document.body.appendChild(Object.assign(new Image(), { src: '/hold/' + params.get('hold'), hidden: true }));
  // Choices given in the URL (?net=...&steps=...) fill the form.
  for (const [k, v] of params) if ($(k) && $(k).tagName !== 'CANVAS') $(k).value = v;
  try {
    if (!navigator.gpu) throw new Error('This browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or Safari 26; on Linux, Chromium needs --enable-unsafe-webgpu.');
    await init();
    const info = await openGpu();
    $('gpu').textContent = 'WebGPU adapter: ' + info;
    if (testing) log('adapter ' + info);
  } catch (e) { showError(e); if (testing) log('DONE'); return; }
  $('start').onclick = () => { $('error').hidden = true; if (!state.running) train().catch(showError); };
  $('pause').onclick = () => {
    state.paused = !state.paused; $('pause').textContent = state.paused ? 'Continue' : 'Pause';
    if (!state.paused && state.resume) state.resume();
  };
  $('download').onclick = () => {
    if (state.running && !state.paused) state.wantDownload = true; else download().catch(showError);
  };
  $('load').onchange = (e) => e.target.files[0] && load(e.target.files[0]).catch(showError);
  const dropped = (dt) => { $('error').hidden = true; state.dropping = readDrop(dt); state.dropping.catch(showError); };
  $('files').onchange = (e) => e.target.files.length && dropped({ items: [], files: e.target.files });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('over'); });
  document.addEventListener('dragleave', () => document.body.classList.remove('over'));
  document.addEventListener('drop', (e) => { e.preventDefault(); document.body.classList.remove('over'); dropped(e.dataTransfer); });
  $('builtin').onclick = () => {
    state.dropped = state.data = null; $('builtin').hidden = true; $('data').textContent = '';
    $('start').textContent = 'Train on the built-in shapes';
  };
  if (testing) { try { await selfTest(); } catch (e) { showError(e); } log('DONE'); }
  else if (params.has('autostart')) $('start').click();
}
main();

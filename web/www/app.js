// The page: controls, the training loop (one step queued per animation frame, losses read every
// "refresh" steps), the loss chart, the sample grid and the strip. ?test=1 runs the end-to-end
// check that web/test.sh drives and logs "TEST: ..." lines to the console.
import init, { openGpu, checkShaders, Training, Loaded } from './pkg/wgpu_ddpm_web.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const testing = params.has('test');
const log = (s) => console.log('TEST: ' + s);
const state = { training: null, loaded: null, losses: [], paused: false, running: false };

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

// images: n*size*size floats in [-1, 1], drawn as a cols-wide grid scaled to the canvas.
function drawImages(canvas, pixels, n, size, cols) {
  const rows = Math.ceil(n / cols), img = new ImageData(cols * size, rows * size);
  for (let k = 0; k < n; k++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const v = Math.round((Math.max(-1, Math.min(1, pixels[k * size * size + y * size + x])) + 1) * 127.5);
    const o = 4 * (((Math.floor(k / cols) * size + y) * cols * size) + (k % cols) * size + x);
    img.data[o] = img.data[o + 1] = img.data[o + 2] = v; img.data[o + 3] = 255;
  }
  const tmp = new OffscreenCanvas(img.width, img.height); tmp.getContext('2d').putImageData(img, 0, 0);
  const g = canvas.getContext('2d'); g.imageSmoothingEnabled = false;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.drawImage(tmp, 0, 0, canvas.width, canvas.width * rows / cols);
}

async function showSamples(source, size) {
  const n = 16, strip = 8;
  const out = await source.sample(n, 50, 7, strip);
  drawImages($('grid'), out, n, size, 4);
  drawImages($('strip'), out.subarray(n * size * size), strip, size, strip);
  return out;
}

async function train() {
  const size = Number(value('size')), steps = Number(value('steps')), every = Number(value('every'));
  state.training = new Training(value('net'), size, value('channels'), Number(value('batch')),
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
      await showSamples(state.training, size);
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
  await showSamples(state.loaded, state.loaded.size);
  $('progress').textContent = `samples of ${file.name}`;
}

async function selfTest() {
  log('shaders ' + (await checkShaders()).split('\n').join(' | '));
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
  log(`sample finite ${out.every(Number.isFinite)} range ${Math.min(...out)} ${Math.max(...out)}`);
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
  if (testing) { try { await selfTest(); } catch (e) { showError(e); } log('DONE'); }
  else if (params.has('autostart')) $('start').click();
}
main();

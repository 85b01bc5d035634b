// xgotop web page: reads aggregated frames from /api/stream (server-sent events) and draws them.
// Memory stays bounded: the history and the timeline keep at most MAX_COLS columns each and halve
// their resolution (merging neighbours) when full; at most MAX_LANES goroutine lanes are kept.
'use strict';

const MAX_COLS = 1200;
const MAX_LANES = 600;
const TABLE_SHOWN = 60; // rows drawn of the (up to 150) the server sends
const SLOT_COLORS = ['#4caf50', '#e6c84c', '#4aa3df', '#c678dd', '#8a8f98', '#d9534f'];
const STATE_NAMES = ['running', 'runnable', 'waiting', 'syscall'];
const $ = (id) => document.getElementById(id);

// --- formatting -------------------------------------------------------------------------------
function fmtBytes(v) {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return i ? v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0) + ' ' + u[i] : Math.round(v) + ' B';
}
function fmtCount(v) {
  if (v < 1000) return String(Math.round(v));
  if (v < 1e6) return (v / 1e3).toFixed(1) + 'k';
  if (v < 1e9) return (v / 1e6).toFixed(1) + 'M';
  return (v / 1e9).toFixed(1) + 'G';
}
function fmtDur(ns) {
  if (ns < 1e3) return ns + 'ns';
  if (ns < 1e6) return (ns / 1e3).toFixed(0) + 'us';
  if (ns < 1e9) return (ns / 1e6).toFixed(0) + 'ms';
  if (ns < 60e9) return (ns / 1e9).toFixed(2) + 's';
  const s = Math.floor(ns / 1e9);
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
}
// A time figure with its bound (model/model.h gm_bound): measured, at least, about, unknown.
function fmtTime(ns, b) {
  if (b === 3) return '-';
  return (b === 1 ? '\u2265' : b === 2 ? '~' : '') + fmtDur(ns);
}
function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[c]);
}

// --- state ------------------------------------------------------------------------------------
// history: one entry per interval [t0, width, run, runq, wait, sys, other, abytes, aobjs]
let hist = [];
// timeline: column i covers trace time up to colT[i]; lanes: goid -> {cols, fn, st, seen}
let colT = [];
const lanes = new Map();
let laneOrder = [];
let last = null; // the last frame
let dirty = true;
let msgs = 0, gaps = 0;
const view = {x0: 0, x1: 150, top: 0, follow: true}; // 150 frames: 30 s at 5 frames/s

function histPush(t0, width, b) {
  hist.push([t0, width, b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
  if (hist.length > MAX_COLS) {
    // aggregate the older half pairwise: the history keeps its span at half the resolution
    const half = hist.length >> 1, out = [];
    for (let i = 0; i + 1 < half; i += 2) {
      const a = hist[i], c = hist[i + 1];
      out.push([a[0], a[1] + c[1], c[2], c[3], c[4], c[5], c[6], a[7] + c[7], a[8] + c[8]]);
    }
    if (half % 2) out.push(hist[half - 1]);
    hist = out.concat(hist.slice(half));
  }
}

async function loadHistory() {
  try {
    const r = await fetch('/api/history');
    if (!r.ok) return;
    const h = await r.json();
    const lv = h.levels;
    const firstOf = (l) => (lv[l] && lv[l].b.length ? lv[l].b[0][0] : Infinity);
    const out = [];
    // coarse levels first, only for times the finer ones do not cover
    for (let l = lv.length - 1; l >= 0; l--) {
      const limit = l > 0 ? firstOf(l - 1) : Infinity;
      for (const b of lv[l].b) if (b[0] < limit && (!out.length || b[0] >= out[out.length - 1][0] + out[out.length - 1][1])) out.push([b[0], lv[l].width, ...b.slice(1)]);
    }
    if (!hist.length || (out.length && out[out.length - 1][0] <= hist[0][0])) {
      const merged = out.filter((e) => !hist.length || e[0] < hist[0][0]).concat(hist);
      hist = [];
      for (const e of merged) histPush(e[0], e[1], [0, e[2], e[3], e[4], e[5], e[6], e[7], e[8]]);
    }
    dirty = true;
  } catch (e) { /* the stream still works */ }
}

function compressCols() {
  const n = colT.length >> 1;
  const t = new Array(n);
  for (let i = 0; i < n; i++) t[i] = colT[2 * i + 1];
  colT = t;
  for (const ln of lanes.values()) {
    const c = ln.cols;
    for (let i = 0; i < n; i++) {
      const a = c[2 * i], b = c[2 * i + 1];
      c[i] = b ? b : a; // prefer the later interval's state
    }
    c.fill(0, n);
    ln.first = ln.first >> 1;
  }
  view.x0 = Math.floor(view.x0 / 2);
  view.x1 = Math.floor(view.x1 / 2);
}

function applyLanes(f) {
  // a frame whose trace time did not move only says the current states: drawn when the page
  // has no column yet (it joined a paused replay)
  if (!f.lanes || (!f.adv && colT.length)) return;
  if (colT.length >= MAX_COLS) compressCols();
  const col = colT.length;
  colT.push(f.t);
  for (const [id, code, st, fn] of f.lanes) {
    let ln = lanes.get(id);
    if (!ln) {
      ln = {cols: new Uint8Array(MAX_COLS), first: col, fn: fn, st: st, seen: col};
      lanes.set(id, ln);
    }
    ln.cols[col] = code + 1;
    ln.st = st;
    ln.fn = fn;
    ln.seen = col;
  }
  if (lanes.size > MAX_LANES) {
    const old = [...lanes.entries()].sort((a, b) => a[1].seen - b[1].seen);
    const drop = lanes.size - MAX_LANES;
    for (let i = 0; i < drop; i++) lanes.delete(old[i][0]);
  }
  // newest on top (the server sends live goroutines before exited ones, so long-lived ones
  // keep their lanes; shift+wheel scrolls down to them)
  laneOrder = [...lanes.keys()].sort((a, b) => b - a);
}

function resetAll() {
  hist = [];
  colT = [];
  lanes.clear();
  laneOrder = [];
}

// --- frames -----------------------------------------------------------------------------------
function onFrame(f) {
  const t0 = performance.now();
  msgs++;
  if (f.reset) resetAll();
  for (const b of f.hist) histPush(b[0], 1e8, [0, b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
  applyLanes(f);
  last = f;
  renderText(f);
  dirty = true;
  handling.push(performance.now() - t0);
  if (handling.length > 2000) handling.splice(0, 1000);
}

function badge(text, cls) {
  return '<span class="badge ' + (cls || '') + '">' + esc(text) + '</span>';
}

let tableKey = '';
function renderText(f) {
  $('src').textContent = (f.replay ? 'replay ' : '') + f.src;
  $('gover').textContent = f.go;
  $('mode').textContent = f.mode ? 'mode ' + f.mode : '';
  let b = '';
  if (f.replay) b += badge(f.speed > 0 ? 'replay x' + f.speed : 'replay max');
  if (f.paused) b += badge(f.dur && f.t >= f.dur ? 'end' : 'paused');
  if (f.lagging) b += badge('LAGGING ' + fmtDur(f.lag), 'lag');
  if (f.finished) b += badge('finished');
  if (f.g_rate < 1) b += badge('goroutines sampled at ' + f.g_rate + ' (~' + Math.round(f.live / f.g_rate) + ' live)');
  // kinds under the probe budget whose probes were out part of the time
  for (const [k, v] of Object.entries(f.seen || {}))
    if (v < 0.995) b += badge(k + ' seen ' + Math.round(100 * v) + '% of the time (probe budget)');
  $('badges').innerHTML = b;
  $('clock').textContent = 'trace ' + fmtDur(f.t) + (f.dur ? ' / ' + fmtDur(f.dur) : '');
  $('live').textContent = f.live;
  for (const s of STATE_NAMES) $('c-' + s).textContent = f.counts[s] || 0;
  $('evps').textContent = fmtCount(f.evps);
  $('lost').textContent = fmtCount(f.lost);
  $('gc').textContent = f.gc;
  $('heap').textContent = f.heap ? fmtBytes(f.heap) : '-';
  $('sched').hidden = !f.sched;
  if (f.sched) {
    for (const k of ['created', 'alive', 'threads', 'runnable']) $('s-' + k).textContent = f.sched[k];
    $('s-gomaxprocs').textContent = f.sched.gomaxprocs || '-';
  }
  const tilde = f.alloc.sampled ? '~' : '';
  $('abps').textContent = (f.alloc.bps_exact ? '' : tilde) + fmtBytes(f.alloc.bps);
  $('aops').textContent = tilde + fmtCount(f.alloc.ops);
  const sampled = f.alloc.sampled
    ? (f.alloc.rate < 1 ? ' (sampled at ' + f.alloc.rate + ', scaled x' + (1 / f.alloc.rate).toFixed(0) + ')' : ' (sampled, scaled by weights)')
    : '';
  $('abps-l').textContent = 'alloc/s' + (f.alloc.sampled ? ' ~sampled' : '');
  $('alloc-title').textContent = 'allocation rate' + sampled;
  $('types-title').textContent = 'top allocating types' + sampled;
  $('sites-title').textContent = 'top allocating sites (top user frame)' + sampled;
  if (f.replay && f.can_seek) {
    $('controls').hidden = false;
    $('play').textContent = f.paused ? 'play' : 'pause';
    const sp = $('speed');
    if (document.activeElement !== sp && f.speed > 0 && [...sp.options].some((o) => Number(o.value) === f.speed))
      sp.value = [...sp.options].find((o) => Number(o.value) === f.speed).value;
    if (!seeking && f.dur) $('seek').value = Math.round(1000 * f.t / f.dur);
    $('seekpos').textContent = fmtDur(f.t);
  }
  $('rows').textContent = f.rows + ' goroutines, sorted by ' + f.sort + (f.rows > TABLE_SHOWN ? ', first ' + Math.min(TABLE_SHOWN, f.table.length) + ' shown' : '');
  $('status').textContent = 'events ' + fmtCount(f.ev) + ' · created ' + f.created + ' · exited ' + f.exited +
    (f.cpu_samples ? ' · CPU ' + f.cpu_busy.toFixed(2) + ' cores (' + f.cpu_hz + ' Hz samples)' : '') +
    ' · frames ' + msgs + (gaps ? ' · skipped ' + gaps : '');
  let rows = '';
  for (const g of f.table.slice(0, TABLE_SHOWN)) {
    const s = g.slots, sb = g.slotsb || [];
    rows += '<tr data-id="' + g.id + '"><td>' + g.id + '</td><td class="l st-' + esc(g.st) + '">' + esc(g.st) +
      '</td><td>' + esc(g.why) + '</td><td>' + fmtTime(g.age, g.ageb) + '</td><td>' + fmtTime(s[0], sb[0]) + '</td><td>' +
      fmtTime(s[1], sb[1]) + '</td><td>' + fmtTime(s[2], sb[2]) + '</td><td>' + fmtTime(s[3], sb[3]) + '</td><td>' + fmtCount(g.na) +
      '</td><td>' + fmtBytes(g.ab) + '</td><td>' + (g.cpu !== undefined ? g.cpu.toFixed(1) : '-') +
      '</td><td>' + esc(g.fn || '?') + '</td><td>' + esc(g.wh || '-') + '</td></tr>';
  }
  if (rows !== tableKey) {
    tableKey = rows;
    document.querySelector('#gtable tbody').innerHTML = rows;
  }
  const tops = (sel, list, site) => {
    let h = '';
    for (const e of list) {
      const where = site ? e[0] + ' ' + String(e[3]).split('/').pop() + ':' + e[4] : e[0];
      const share = f.alloc.bytes ? (100 * e[1] / f.alloc.bytes).toFixed(1) + '%' : '';
      h += '<tr><td>' + fmtBytes(e[1]) + '</td><td>' + share + '</td><td>' + fmtCount(e[2]) + '</td><td>' + esc(where) + '</td></tr>';
    }
    const none = site && f.alloc.bytes
      ? 'allocations have no stacks: record with --stacks, or production mode\'s samples'
      : 'no allocation events';
    document.querySelector(sel + ' tbody').innerHTML = h || '<tr><td class="l">' + none + '</td></tr>';
  };
  let fh = '';
  for (const g of f.fns || []) {
    fh += '<tr><td>' + g[1] + '</td><td>' + g[2] + '</td><td>' + g[3] + '</td><td>' + g[4] + '</td><td>' + g[5] +
      '</td><td>' + g[6] + '</td><td>' + (g[8] ? g[7].toFixed(1) : '-') + '</td><td>' + fmtBytes(g[9]) +
      '</td><td class="l">' + esc(g[0] || '?') + '</td></tr>';
  }
  document.querySelector('#fns tbody').innerHTML = fh;
  tops('#types', f.types, false);
  tops('#sites', f.sites, true);
}

// --- drawing ----------------------------------------------------------------------------------
function fit(canvas) {
  const r = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.floor(canvas.clientWidth * r)), h = Math.max(1, Math.floor(canvas.clientHeight * r));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(r, 0, 0, r, 0, 0);
  return [ctx, canvas.clientWidth, canvas.clientHeight];
}

function drawCounts() {
  const [ctx, w, h] = fit($('counts'));
  ctx.clearRect(0, 0, w, h);
  if (!hist.length) return;
  let max = 1;
  for (const e of hist) max = Math.max(max, e[2] + e[3] + e[4] + e[5] + e[6]);
  // at most one bar per pixel: with more entries than pixels, every k-th
  const n = Math.min(hist.length, Math.max(1, Math.floor(w))), bw = w / n, k = hist.length / n;
  const paths = [0, 1, 2, 3, 4].map(() => new Path2D());
  for (let i = 0; i < n; i++) {
    const e = hist[Math.floor(i * k)];
    let y = h;
    for (let s = 0; s < 5; s++) {
      const v = e[2 + s];
      if (!v) continue;
      const bh = (v / max) * (h - 14);
      paths[s].rect(i * bw, y - bh, Math.max(1, bw), bh);
      y -= bh;
    }
  }
  for (let s = 0; s < 5; s++) {
    ctx.fillStyle = SLOT_COLORS[s];
    ctx.fill(paths[s]);
  }
  ctx.fillStyle = '#d8dee9';
  ctx.fillText('max ' + max, 4, 11);
}

function drawAllocs() {
  const [ctx, w, h] = fit($('allocs'));
  ctx.clearRect(0, 0, w, h);
  if (!hist.length) return;
  let max = 1;
  const rate = hist.map((e) => e[7] / (e[1] / 1e9));
  for (const v of rate) max = Math.max(max, v);
  ctx.strokeStyle = '#e6c84c';
  ctx.beginPath();
  for (let i = 0; i < rate.length; i++) {
    const x = (i + 0.5) * (w / rate.length), y = h - (rate[i] / max) * (h - 14);
    if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
  }
  ctx.stroke();
  ctx.fillStyle = '#d8dee9';
  ctx.fillText('max ' + fmtBytes(max) + '/s', 4, 11);
}

const LANE_H = 12, LABEL_W = 170;
function drawTimeline() {
  const [ctx, w, h] = fit($('timeline'));
  ctx.clearRect(0, 0, w, h);
  const ncols = colT.length;
  if (view.follow) {
    const span = Math.max(10, view.x1 - view.x0);
    view.x1 = Math.max(ncols, span);
    view.x0 = view.x1 - span;
  }
  const span = Math.max(1, view.x1 - view.x0), cw = (w - LABEL_W) / span;
  const rows = Math.floor((h - 14) / LANE_H);
  view.top = Math.max(0, Math.min(view.top, laneOrder.length - rows));
  ctx.font = '11px system-ui, sans-serif';
  // one path per colour, runs of equal cells merged: a few hundred rects, six fills
  const paths = SLOT_COLORS.map(() => new Path2D());
  const from = Math.max(0, Math.floor(view.x0)), to = Math.min(ncols, Math.ceil(view.x1));
  ctx.fillStyle = '#7b8494';
  for (let r = 0; r < rows && view.top + r < laneOrder.length; r++) {
    const id = laneOrder[view.top + r], ln = lanes.get(id), y = r * LANE_H;
    ctx.fillText(String(id).padStart(7) + ' ' + (ln.fn || '?').slice(0, 19), 2, y + 10);
    const cols = ln.cols;
    for (let c = from; c < to;) {
      const code = cols[c];
      let e = c + 1;
      while (e < to && cols[e] === code) e++;
      if (code) paths[code - 1].rect(LABEL_W + (c - view.x0) * cw, y + 1, Math.max(1, (e - c) * cw), LANE_H - 2);
      c = e;
    }
  }
  for (let i = 0; i < paths.length; i++) {
    ctx.fillStyle = SLOT_COLORS[i];
    ctx.fill(paths[i]);
  }
  // time axis
  ctx.fillStyle = '#7b8494';
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const c = Math.floor(view.x0 + (span * i) / ticks);
    if (c >= 0 && c < ncols) ctx.fillText(fmtDur(colT[c]), LABEL_W + (c - view.x0) * cw, h - 2);
  }
  if (!laneOrder.length) ctx.fillText('no goroutines yet', LABEL_W, 20);
}

// frame timing, reported to the server for benchmarks
const frameTimes = [], work = [], handling = [];
let lastRaf = 0;
function loop(ts) {
  if (lastRaf) frameTimes.push(ts - lastRaf);
  lastRaf = ts;
  if (frameTimes.length > 2000) frameTimes.splice(0, 1000);
  if (dirty) {
    const t0 = performance.now();
    drawCounts();
    drawAllocs();
    drawTimeline();
    dirty = false;
    work.push(performance.now() - t0);
    if (work.length > 2000) work.splice(0, 1000);
  }
  requestAnimationFrame(loop);
}

function pct(a, p) {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function report() {
  const m = performance.memory || {};
  const body = JSON.stringify({
    heap_used: m.usedJSHeapSize || 0, heap_total: m.totalJSHeapSize || 0,
    frames: frameTimes.length, frame_p50_ms: pct(frameTimes, 0.5), frame_p99_ms: pct(frameTimes, 0.99),
    work_p50_ms: pct(work, 0.5), work_p99_ms: pct(work, 0.99), work_max_ms: pct(work, 1),
    handle_p50_ms: pct(handling, 0.5), handle_p99_ms: pct(handling, 0.99),
    msgs: msgs, gaps: gaps, lanes: lanes.size, cols: colT.length, hist: hist.length,
    live: last ? last.live : 0, dom_nodes: document.getElementsByTagName('*').length,
  });
  fetch('/api/report', {method: 'POST', body: body}).catch(() => {});
}

// --- interaction ------------------------------------------------------------------------------
let seeking = false;
function post(path) { return fetch(path, {method: 'POST'}).catch(() => {}); }

async function showDetail(id) {
  const r = await fetch('/api/g?id=' + id).catch(() => null);
  const box = $('detail');
  box.hidden = false;
  if (!r || !r.ok) { $('detail-body').textContent = 'goroutine ' + id + ': no longer known'; return; }
  const g = await r.json();
  const names = ['running', 'runnable', 'waiting', 'syscall', 'other'];
  let t = 'goroutine ' + g.goid + '   state ' + g.state + (g.reason ? ' (' + g.reason + ')' : '') + '\n';
  t += 'start function ' + (g.start_fn || '?') + '\n';
  t += 'created by ' + (g.create_fn || '?') + ' at ' + g.create_pc + ', parent goroutine ' + g.parent + '\n';
  t += (g.created_seen ? 'created at trace ' : 'existed before it was seen, first seen at trace ') + fmtDur(g.created_ts) +
    (g.exited_ts !== undefined ? ', exited at ' + fmtDur(g.exited_ts) : '') + ', age ' + fmtTime(g.age, g.ageb) + '\n';
  if (g.exited_ts === undefined) t += 'in its state for ' + fmtTime(g.in_state, g.in_stateb) + '\n';
  const sb = g.slotsb || [];
  t += 'time in states: ' + names.map((n, i) => n + ' ' + fmtTime(g.slots[i], sb[i])).join(', ') + ' (' + g.transitions + ' transitions)\n';
  t += 'allocations ' + fmtCount(g.allocs) + ' (' + fmtBytes(g.alloc_bytes) + ')' +
    (g.cpu_pct !== undefined ? ', CPU ' + g.cpu_pct.toFixed(1) + '%' + (g.cpu_samples ? ' (' + g.cpu_samples + ' samples)' : '') : '') + '\n';
  t += (g.state === 'running' ? 'where it runs (last CPU sample):' : 'where it is:') + '\n';
  if (g.where_stack.length)
    for (const fr of g.where_stack) t += '  ' + fr.fn + (fr.inlined ? '(...)' : '') + '\n      ' + fr.file + ':' + fr.line + '\n';
  else t += '  (not recorded)\n';
  if (g.create_stack.length) {
    t += 'creation stack:\n';
    for (const fr of g.create_stack) t += '  ' + fr.fn + '\n      ' + fr.file + ':' + fr.line + '\n';
  }
  $('detail-body').textContent = t;
}

function setup() {
  $('play').onclick = () => post(last && last.paused ? '/api/play' : '/api/pause');
  $('speed').onchange = (e) => post('/api/speed?x=' + e.target.value);
  $('back').onclick = () => last && post('/api/seek?t=' + Math.max(0, last.t - 1e9));
  $('fwd').onclick = () => last && post('/api/seek?t=' + (last.t + 1e9));
  $('seek').oninput = () => { seeking = true; };
  $('seek').onchange = (e) => {
    seeking = false;
    if (last && last.dur) post('/api/seek?t=' + Math.round((e.target.value / 1000) * last.dur));
  };
  $('sort').onchange = (e) => post('/api/view?sort=' + encodeURIComponent(e.target.value));
  let ft = null;
  $('filter').oninput = (e) => {
    clearTimeout(ft);
    ft = setTimeout(() => post('/api/view?filter=' + encodeURIComponent(e.target.value)), 250);
  };
  $('follow').onchange = (e) => { view.follow = e.target.checked; dirty = true; };
  $('detail-close').onclick = () => { $('detail').hidden = true; };
  document.querySelector('#gtable tbody').onclick = (e) => {
    const tr = e.target.closest('tr');
    if (tr) showDetail(tr.dataset.id);
  };
  const tl = $('timeline');
  tl.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.shiftKey) { view.top += e.deltaY > 0 ? 3 : -3; dirty = true; return; }
    const rect = tl.getBoundingClientRect();
    const fx = Math.max(0, (e.clientX - rect.left - LABEL_W) / (rect.width - LABEL_W));
    const span = view.x1 - view.x0, ns = Math.min(MAX_COLS, Math.max(10, span * (e.deltaY > 0 ? 1.25 : 0.8)));
    const at = view.x0 + fx * span;
    view.x0 = at - fx * ns;
    view.x1 = view.x0 + ns;
    if (e.deltaY < 0) { view.follow = false; $('follow').checked = false; }
    dirty = true;
  }, {passive: false});
  let drag = null;
  tl.onmousedown = (e) => { drag = {x: e.clientX, x0: view.x0, x1: view.x1, moved: false}; };
  window.onmouseup = (e) => {
    if (drag && !drag.moved) {
      const rect = tl.getBoundingClientRect();
      const r = Math.floor((e.clientY - rect.top) / LANE_H) + view.top;
      if (r >= 0 && r < laneOrder.length && e.target === tl) showDetail(laneOrder[r]);
    }
    drag = null;
  };
  window.onmousemove = (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    const span = drag.x1 - drag.x0, cw = (tl.clientWidth - LABEL_W) / span;
    view.x0 = drag.x0 - dx / cw;
    view.x1 = drag.x1 - dx / cw;
    if (drag.moved) { view.follow = false; $('follow').checked = false; }
    dirty = true;
  };
  document.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT') return;
    if (e.key === ' ') { e.preventDefault(); $('play').click(); }
  });
  window.onresize = () => { dirty = true; };

  const es = new EventSource('/api/stream');
  es.addEventListener('frame', (e) => onFrame(JSON.parse(e.data)));
  es.addEventListener('gap', () => { gaps++; });
  es.onopen = () => loadHistory();
  requestAnimationFrame(loop);
  setInterval(report, 2000);
}

setup();

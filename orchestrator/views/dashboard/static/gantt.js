// The timeline: one lane per worker (and one for the driver's own process), a bar per task run,
// drawn on a Canvas from the TaskTable's typed columns, never one DOM node per task run.
//
// Each redraw walks every task run once. Bars a few pixels wide or more become rectangles,
// batched into one Path2D per colour. Narrower ones are summed per pixel column and row into a
// coverage buffer (how much of that pixel's time is covered), drawn as pixels whose opacity is
// the coverage, in the colour of the bar that covered most: a zoomed-out 100k-task run reads as
// dense and sparse stretches instead of a smear or a blank, and costs no more to draw. Retries are ticks at the end of each
// failed attempt; the critical path is outlined and joined by a line.

const LABEL_W = 150;
const AXIS_H = 22;
const LANE_GAP = 4;
const MAX_SUBROWS = 64;
// Bars at least this many pixels wide are rectangles; narrower ones go through the coverage
// buffer, so a redraw fills at most about (width / RECT_MIN) rectangles per row, however many
// task runs are in view.
const RECT_MIN = 4;
const DIM = "#d9dde3";

let probe = null;

function parseColour(css) {
  probe ||= document.createElement("canvas").getContext("2d");
  probe.fillStyle = css;
  const hex = probe.fillStyle; // normalised to #rrggbb
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// Colours by task name, the same in every timeline and strip on a page (compared runs agree).
const nameSlots = new Map();

export function taskColour(name) {
  let i = nameSlots.get(name);
  if (i === undefined) nameSlots.set(name, (i = nameSlots.size));
  return `hsl(${(210 + i * 137.508) % 360}, 55%, 58%)`;
}

function niceStep(span, pixels) {
  const raw = span / Math.max(pixels / 110, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function label(seconds, step) {
  const digits = (unit) => Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
  if (step < 1e-3) return `${(seconds * 1e6).toFixed(digits(1e-6))} µs`;
  if (step < 0.1) return `${(seconds * 1e3).toFixed(digits(1e-3))} ms`;
  if (seconds < 600) return `${seconds.toFixed(digits(1))} s`;
  return `${(seconds / 60).toFixed(1)} min`;
}

// A time range several Gantts can share (the compare page aligns them at their starts).
export class TimeView {
  constructor() {
    this.start = 0;
    this.end = 1;
    this.follow = true;
    this.fullEnd = null; // where "fit" goes when several timelines share this view
    this.listeners = new Set();
  }
  set(start, end, follow = false) {
    this.start = start;
    this.end = Math.max(end, start + 1e-6);
    this.follow = follow;
    for (const listener of this.listeners) listener();
  }
}

export class Gantt {
  constructor(container, table, options) {
    this.table = table;
    this.options = options; // {colours, onPick(row), onHover(row, event), view, now()}
    this.view = options.view || new TimeView();
    this.mode = "task";
    this.filter = null;
    this.critical = [];
    this.picked = -1;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "gantt";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "timeline of task runs per worker");
    container.append(this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.stateRGB = new Map();
    this.laidOut = -1;
    this.frame = 0;
    this.lastDrawMs = 0;
    this.view.listeners.add(() => this.schedule());
    this.listen();
    new ResizeObserver(() => this.schedule()).observe(container);
  }

  // -- layout: lanes per worker, and sub-rows inside a lane for task runs that overlap --

  layout() {
    const t = this.table;
    const n = t.count;
    const now = this.now();
    const lanes = new Map();
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(t.start[i])) continue;
      let lane = lanes.get(t.worker[i]);
      if (!lane) lanes.set(t.worker[i], (lane = []));
      lane.push(i);
    }
    const order = [...lanes.keys()].sort((a, b) => {
      if (a === 0 || b === 0) return a === 0 ? -1 : 1; // the in-process lane first
      return String(t.workers[a]).localeCompare(String(t.workers[b]), "en", { numeric: true });
    });
    this.rowOf = new Int32Array(Math.max(n, 1)).fill(-1);
    this.lanes = [];
    let row = 0;
    const start = t.start;
    for (const w of order) {
      const members = Uint32Array.from(lanes.get(w)).sort((a, b) => start[a] - start[b]);
      const ends = [];
      for (const i of members) {
        const s = start[i];
        const e = Number.isNaN(t.end[i]) ? Math.max(now, s) : t.end[i];
        let k = 0;
        while (k < ends.length && ends[k] > s) k++;
        if (k === ends.length) {
          if (ends.length < MAX_SUBROWS) ends.push(e);
          else k = ends.length - 1;
        }
        ends[k] = Math.max(ends[k], e);
        this.rowOf[i] = row + k;
      }
      const name = t.workers[w];
      this.lanes.push({ label: name === null ? "in-process (driver)" : String(name).replace(/^[a-z]+:\/\//, ""), first: row, rows: ends.length });
      row += ends.length;
    }
    this.rows = row;
    this.laidOut = t.version;
  }

  now() {
    return this.options.now ? this.options.now() - this.table.t0 : this.table.extent();
  }

  // -- drawing --

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  geometry() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(this.canvas.parentElement.clientWidth, 300);
    const rowH = Math.max(3, Math.min(22, Math.floor(480 / Math.max(this.rows, 1))));
    const height = AXIS_H + this.rows * rowH + this.lanes.length * LANE_GAP + 6;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const rowY = new Float64Array(this.rows + 1);
    for (const [index, lane] of this.lanes.entries()) {
      for (let k = 0; k <= lane.rows; k++) rowY[lane.first + k] = (AXIS_H + (lane.first + k) * rowH + index * LANE_GAP) * dpr;
    }
    return { dpr, rowY, rowH: rowH * dpr, plotX: Math.round(LABEL_W * dpr), W: this.canvas.width, H: this.canvas.height };
  }

  palette() {
    // Colour slots: task names (or states), then the dimmed slot for what a filter hides.
    const t = this.table;
    const names = this.mode === "task" ? t.tasks.map((name) => taskColour(name)) : t.states.map((s) => this.options.colours[s] || "#999");
    const css = [...names, DIM];
    if (!this.rgb || this.rgb.length !== css.length || this.rgbMode !== this.mode) {
      this.rgb = css.map(parseColour);
      this.rgbMode = this.mode;
    }
    return css;
  }

  draw() {
    const began = performance.now();
    const t = this.table;
    if (this.laidOut !== t.version) this.layout();
    const view = this.view;
    if (view.follow) {
      const extent = Math.max(t.extent(), this.now(), 1e-3);
      view.start = 0;
      view.end = extent * 1.02;
    }
    const { dpr, rowY, rowH, plotX, W, H } = this.geometry();
    const ctx = this.ctx;
    const css = this.palette();
    const dim = css.length - 1;
    const plotW = Math.max(W - plotX, 1);
    const plotTop = Math.round(AXIS_H * dpr);
    const plotH = Math.max(H - plotTop, 1);
    const vs = view.start;
    const scale = plotW / (view.end - vs);
    const now = this.now();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, H);

    if (!this.cover || this.cover.length !== this.rows * plotW) {
      this.cover = new Float32Array(this.rows * plotW);
      this.coverMax = new Float32Array(this.rows * plotW);
      this.coverColour = new Uint16Array(this.rows * plotW);
    } else {
      this.cover.fill(0);
      this.coverMax.fill(0);
    }
    const cover = this.cover;
    const coverMax = this.coverMax;
    const coverColour = this.coverColour;
    const paths = new Array(css.length);
    const again = new Path2D();
    const byTask = this.mode === "task";
    const filter = this.filter;
    const { start, end, task, state, attempt } = t;
    const rowOf = this.rowOf;
    const running = new Set(["Running", "Retrying"].map((s) => t.states.indexOf(s)));
    let drawn = 0;
    for (let i = 0, n = t.count; i < n; i++) {
      const s = start[i];
      if (Number.isNaN(s)) continue;
      let e = end[i];
      if (Number.isNaN(e)) e = running.has(state[i]) ? Math.max(now, s) : s;
      if (e < vs || s > view.end) continue;
      const r = rowOf[i];
      if (r < 0) continue;
      const colour = filter !== null && !filter.has(task[i]) ? dim : byTask ? task[i] : state[i];
      const x0 = (s - vs) * scale;
      const w = (e - s) * scale;
      drawn++;
      if (w >= RECT_MIN) {
        const left = Math.max(x0, -2);
        const right = Math.min(x0 + w, plotW + 2);
        (paths[colour] ||= new Path2D()).rect(plotX + left, rowY[r] + 1, right - left, rowH - 2);
        if (attempt[i] > 1) again.rect(plotX + left + 0.5, rowY[r] + 1.5, right - left - 1, rowH - 3);
        continue;
      }
      // Narrow: into the coverage buffer, each pixel column it touches getting the part it covers.
      const x1 = x0 + w;
      const first = Math.max(Math.floor(x0), 0);
      const last = Math.min(Math.floor(x1), plotW - 1);
      for (let px = first; px <= last; px++) {
        const k = r * plotW + px;
        const amount = Math.max(Math.min(x1, px + 1) - Math.max(x0, px), 0.05);
        cover[k] += amount;
        if (amount > coverMax[k]) {
          coverMax[k] = amount;
          coverColour[k] = colour;
        }
      }
    }
    this.putCoverage(ctx, plotX, plotTop, plotW, plotH, rowY, rowH);
    // Lane backgrounds go behind what is drawn already.
    ctx.globalCompositeOperation = "destination-over";
    for (const [index, lane] of this.lanes.entries()) {
      ctx.fillStyle = index % 2 ? "#f6f7f9" : "#eef1f5";
      ctx.fillRect(0, rowY[lane.first], W, rowY[lane.first + lane.rows] - rowY[lane.first]);
    }
    ctx.globalCompositeOperation = "source-over";
    for (let c = 0; c < paths.length; c++) {
      if (!paths[c]) continue;
      ctx.fillStyle = css[c];
      ctx.fill(paths[c]);
    }
    ctx.strokeStyle = "#3a3f47";
    ctx.lineWidth = dpr;
    ctx.stroke(again);
    this.drawRetries(ctx, plotX, plotW, vs, scale, rowY, rowH, dpr);
    this.drawCritical(ctx, plotX, vs, scale, rowY, rowH, dpr, now);
    this.drawAxis(ctx, plotX, plotW, vs, scale, dpr, now, W);
    this.drawLabels(ctx, rowY, dpr);
    this.canvas.dataset.bars = String(drawn);
    this.canvas.dataset.lanes = String(this.lanes.length);
    this.lastDrawMs = performance.now() - began;
    performance.measure("gantt-draw", { start: began, end: performance.now() });
    if (performance.getEntriesByName("gantt-draw").length > 500) performance.clearMeasures("gantt-draw");
    if (!this.firstDrawn && this.canvas.offsetParent !== null) {
      this.firstDrawn = true;
      performance.mark("gantt-first-draw"); // benchmarks: the first Gantt a user could see
    }
  }

  putCoverage(ctx, plotX, plotTop, plotW, plotH, rowY, rowH) {
    if (!this.image || this.image.width !== plotW || this.image.height !== plotH) this.image = ctx.createImageData(plotW, plotH);
    const data = this.image.data;
    data.fill(0);
    const { cover, coverColour, rgb } = this;
    let any = false;
    for (let r = 0; r < this.rows; r++) {
      const top = Math.round(rowY[r] - plotTop) + 1;
      const bottom = Math.min(Math.round(rowY[r] - plotTop + rowH) - 1, plotH);
      const base = r * plotW;
      for (let px = 0; px < plotW; px++) {
        const amount = cover[base + px];
        if (amount === 0) continue;
        any = true;
        const [red, green, blue] = rgb[coverColour[base + px]];
        const alpha = Math.round(255 * Math.min(1, 0.3 + 0.7 * amount));
        for (let y = top; y < bottom; y++) {
          const o = (y * plotW + px) * 4;
          data[o] = red;
          data[o + 1] = green;
          data[o + 2] = blue;
          data[o + 3] = alpha;
        }
      }
    }
    if (any) ctx.putImageData(this.image, plotX, plotTop);
  }

  drawRetries(ctx, plotX, plotW, vs, scale, rowY, rowH, dpr) {
    const t = this.table;
    if (!t.retryRow.length) return;
    const ticks = new Path2D();
    for (let j = 0; j < t.retryRow.length; j++) {
      const i = t.retryRow[j];
      const r = this.rowOf[i];
      const x = (t.retryTs[j] - vs) * scale;
      if (r < 0 || x < 0 || x > plotW) continue;
      ticks.rect(plotX + x - dpr, rowY[r], 2 * dpr, rowH);
    }
    ctx.fillStyle = "#b3261e";
    ctx.fill(ticks);
  }

  drawCritical(ctx, plotX, vs, scale, rowY, rowH, dpr, now) {
    const t = this.table;
    const points = [];
    for (const id of this.critical) {
      const i = t.rowOf.get(id);
      if (i === undefined || this.rowOf[i] < 0 || Number.isNaN(t.start[i])) continue;
      const e = Number.isNaN(t.end[i]) ? now : t.end[i];
      points.push([plotX + (t.start[i] - vs) * scale, plotX + (e - vs) * scale, rowY[this.rowOf[i]] + rowH / 2, i]);
    }
    if (!points.length) return;
    ctx.strokeStyle = "#ff6d00";
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    for (const [x0, x1, y] of points) {
      ctx.rect(x0, y - rowH / 2 + dpr, Math.max(x1 - x0, 2 * dpr), rowH - 2 * dpr);
    }
    ctx.stroke();
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    points.forEach(([x0, x1, y], k) => {
      if (k === 0) ctx.moveTo(x1, y);
      else {
        ctx.lineTo(x0, y);
        ctx.moveTo(x1, y);
      }
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }

  drawAxis(ctx, plotX, plotW, vs, scale, dpr, now, W) {
    const span = plotW / scale;
    const step = niceStep(span, plotW / dpr);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, AXIS_H * dpr);
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = "#555";
    ctx.strokeStyle = "#c8ccd2";
    ctx.lineWidth = dpr;
    ctx.beginPath();
    for (let tick = Math.ceil(vs / step) * step; tick <= vs + span; tick += step) {
      const x = plotX + (tick - vs) * scale;
      ctx.moveTo(x, (AXIS_H - 5) * dpr);
      ctx.lineTo(x, this.canvas.height);
      ctx.fillText(label(tick, step), x + 3 * dpr, (AXIS_H - 8) * dpr);
    }
    ctx.globalAlpha = 0.35;
    ctx.stroke();
    ctx.globalAlpha = 1;
    if (this.options.now) {
      const x = plotX + (now - vs) * scale;
      if (x >= plotX && x <= W) {
        ctx.strokeStyle = "#1a73e8";
        ctx.beginPath();
        ctx.moveTo(x, 0);
        ctx.lineTo(x, this.canvas.height);
        ctx.stroke();
      }
    }
  }

  drawLabels(ctx, rowY, dpr) {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, AXIS_H * dpr, LABEL_W * dpr - 2, this.canvas.height);
    ctx.fillStyle = "#333";
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    for (const lane of this.lanes) {
      const y = rowY[lane.first];
      const h = rowY[lane.first + lane.rows] - y;
      ctx.fillText(lane.label.slice(0, 24), 4 * dpr, y + Math.min(h / 2 + 4 * dpr, 12 * dpr));
    }
  }

  // -- interaction: wheel zooms around the pointer, drag pans, double-click shows everything --

  timeAt(clientX) {
    const rect = this.canvas.getBoundingClientRect();
    const plotW = rect.width - LABEL_W;
    return this.view.start + ((clientX - rect.left - LABEL_W) / plotW) * (this.view.end - this.view.start);
  }

  zoom(factor, clientX) {
    const view = this.view;
    const at = clientX === undefined ? (view.start + view.end) / 2 : this.timeAt(clientX);
    const span = Math.min(Math.max((view.end - view.start) * factor, 1e-6), Math.max(this.table.extent(), this.now(), 1e-3) * 4);
    const share = (at - view.start) / (view.end - view.start);
    view.set(at - share * span, at - share * span + span);
  }

  reset() {
    if (this.view.fullEnd !== null) this.view.set(0, this.view.fullEnd);
    else this.view.set(0, 1, true);
  }

  listen() {
    const canvas = this.canvas;
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      this.zoom(Math.exp(event.deltaY * 0.0015), event.clientX);
    }, { passive: false });
    let drag = null;
    canvas.addEventListener("mousedown", (event) => {
      drag = { x: event.clientX, start: this.view.start, end: this.view.end, moved: false };
    });
    window.addEventListener("mousemove", (event) => {
      if (drag) {
        const dx = event.clientX - drag.x;
        if (Math.abs(dx) > 2) drag.moved = true;
        if (drag.moved) {
          const per = (drag.end - drag.start) / (canvas.getBoundingClientRect().width - LABEL_W);
          this.view.set(drag.start - dx * per, drag.end - dx * per);
        }
      } else if (event.target === canvas && this.options.onHover) {
        this.options.onHover(this.pick(event), event);
      }
    });
    window.addEventListener("mouseup", (event) => {
      if (drag && !drag.moved && event.target === canvas) {
        const i = this.pick(event);
        if (i >= 0 && this.options.onPick) this.options.onPick(i);
      }
      drag = null;
    });
    canvas.addEventListener("mouseleave", () => this.options.onHover && this.options.onHover(-1));
    canvas.addEventListener("dblclick", () => this.reset());
  }

  // The task run under the pointer (its index in the table), or -1.
  pick(event) {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const { rowY } = this.geometry();
    const y = (event.clientY - rect.top) * dpr;
    let r = -1;
    for (let k = 0; k < this.rows; k++) if (y >= rowY[k] && y < rowY[k + 1]) r = k;
    if (r < 0 || event.clientX - rect.left < LABEL_W) return -1;
    const at = this.timeAt(event.clientX);
    const slack = (3 / (rect.width - LABEL_W)) * (this.view.end - this.view.start);
    const t = this.table;
    const now = this.now();
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < t.count; i++) {
      if (this.rowOf[i] !== r) continue;
      const s = t.start[i];
      const e = Number.isNaN(t.end[i]) ? now : t.end[i];
      const distance = at < s ? s - at : at > e ? at - e : 0;
      if (distance <= slack && distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }
}

// The graph panel: the compiled graph laid out by the server (visualize.layout), drawn on a
// Canvas and coloured by state. Up to 5,000 nodes one box per task run; above that one box per
// task name, its fill split by state. Drag pans, the wheel zooms, a click opens the task run.

import { getJSON } from "./api.js";
import { clear, el } from "./dom.js";

export class GraphPanel {
  constructor(container, runId, info, onOpen) {
    this.runId = runId;
    this.info = info;
    this.onOpen = onOpen;
    this.task = null;
    this.node = el("div", { class: "graph-panel", id: "graph-panel" });
    container.append(this.node);
    this.scale = 1;
    this.dx = 0;
    this.dy = 0;
  }

  async load() {
    this.data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/graph`);
    clear(this.node);
    const { mode, nodes } = this.data;
    this.node.append(el("p", { class: "muted", id: "graph-mode", text: mode === "tasks" ? `${nodes.length} task runs` : `${nodes.length} task names (the graph has more than 5,000 nodes)` }));
    if (!nodes.length) {
      this.node.append(el("p", { text: "No graph was recorded for this run." }));
      return;
    }
    this.canvas = el("canvas", { class: "graph", id: "graph-canvas" });
    this.node.append(this.canvas);
    this.fit();
    this.listen();
    this.draw();
  }

  // New states for a live run: same boxes, same zoom and pan.
  async refresh() {
    if (!this.canvas) return this.load();
    this.data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/graph`);
    this.draw();
  }

  setTask(task) {
    this.task = task;
    if (this.canvas) this.draw();
  }

  fit() {
    const width = Math.max(this.node.clientWidth, 400);
    this.scale = Math.min(1, width / this.data.width);
    this.dx = 0;
    this.dy = 0;
  }

  draw() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(this.node.clientWidth, 400);
    const height = Math.min(Math.max(this.data.height * this.scale, 200), 640);
    this.canvas.width = width * dpr;
    this.canvas.height = height * dpr;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.dx, dpr * this.dy);
    const { nodes, edges, box } = this.data;
    const colours = this.info.colours;
    ctx.strokeStyle = "#888";
    ctx.lineWidth = 1 / this.scale;
    ctx.beginPath();
    for (const [from, to] of edges) {
      const a = nodes[from];
      const b = nodes[to];
      const x1 = a[5] + a[7] / 2;
      const y1 = a[6] + box;
      const x2 = b[5] + b[7] / 2;
      const y2 = b[6];
      const bend = (y2 - y1) / 2;
      ctx.moveTo(x1, y1);
      ctx.bezierCurveTo(x1, y1 + bend, x2, y2 - bend, x2, y2);
    }
    ctx.stroke();
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    for (const [, label, task, state, , x, y, w] of nodes) {
      const dimmed = this.task !== null && task !== this.task;
      ctx.globalAlpha = dimmed ? 0.25 : 1;
      if (typeof state === "string") {
        ctx.fillStyle = colours[state] || "#ddd";
        ctx.fillRect(x, y, w, box);
      } else {
        // A task name: its width split by state, in the legend's order.
        const total = Object.values(state).reduce((a, b) => a + b, 0) || 1;
        let left = x;
        for (const name of this.info.states) {
          const n = state[name] || 0;
          if (!n) continue;
          ctx.fillStyle = colours[name] || "#ddd";
          ctx.fillRect(left, y, (w * n) / total, box);
          left += (w * n) / total;
        }
      }
      ctx.strokeStyle = "#444";
      ctx.strokeRect(x, y, w, box);
      ctx.fillStyle = "#111";
      ctx.fillText(label, x + w / 2, y + box / 2 + 4, w - 4);
    }
    ctx.globalAlpha = 1;
    this.canvas.dataset.nodes = String(nodes.length);
  }

  at(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left - this.dx) / this.scale;
    const y = (event.clientY - rect.top - this.dy) / this.scale;
    const { nodes, box } = this.data;
    return nodes.find((n) => x >= n[5] && x <= n[5] + n[7] && y >= n[6] && y <= n[6] + box) || null;
  }

  listen() {
    let drag = null;
    this.canvas.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, dx: this.dx, dy: this.dy, moved: false }; });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) drag.moved = true;
      this.dx = drag.dx + e.clientX - drag.x;
      this.dy = drag.dy + e.clientY - drag.y;
      this.draw();
    });
    window.addEventListener("mouseup", (e) => {
      if (drag && !drag.moved && e.target === this.canvas) {
        const node = this.at(e);
        if (node && this.data.mode === "tasks") this.onOpen({ key: node[0] });
      }
      drag = null;
    });
    this.canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const factor = Math.exp(-e.deltaY * 0.0015);
      const rect = this.canvas.getBoundingClientRect();
      const px = e.clientX - rect.left;
      const py = e.clientY - rect.top;
      this.dx = px - (px - this.dx) * factor;
      this.dy = py - (py - this.dy) * factor;
      this.scale *= factor;
      this.draw();
    }, { passive: false });
    this.canvas.addEventListener("dblclick", () => { this.fit(); this.draw(); });
  }
}

// One row per task name: done / running / failed / total, median and p95. Clicking a row makes
// it the page's task filter (every panel follows); clicking it again clears it.

import { clear, el } from "./dom.js";
import { count, seconds } from "./format.js";
import { taskColour } from "./gantt.js";

export class TaskStrip {
  constructor(container, onSelect) {
    this.onSelect = onSelect;
    this.selected = null;
    this.body = el("tbody", { id: "strip-body" });
    container.append(
      el("table", { class: "grid strip", id: "strip" }, [
        el("thead", {}, el("tr", {}, ["task", "", "done", "running", "failed", "total", "median", "p95"].map((h) => el("th", { text: h })))),
        this.body,
      ]),
    );
  }

  update(summary) {
    this.summary = summary;
    clear(this.body);
    for (const row of summary.strip) {
      const total = Math.max(row.total, 1);
      const bar = el("div", { class: "bar" }, [
        el("span", { class: "done", style: `width:${(100 * row.done) / total}%` }),
        el("span", { class: "failed", style: `width:${(100 * row.failed) / total}%` }),
        el("span", { class: "running", style: `width:${(100 * row.running) / total}%` }),
      ]);
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = taskColour(row.task);
      const tr = el("tr", { class: row.task === this.selected ? "selected" : "", dataset: { task: row.task } }, [
        el("td", {}, [swatch, el("span", { class: "task-name", text: row.task })]),
        el("td", {}, bar),
        el("td", { text: count(row.done) }),
        el("td", { text: count(row.running) }),
        el("td", { class: row.failed ? "failed" : "", text: count(row.failed) }),
        el("td", { text: count(row.total) }),
        el("td", { text: seconds(row.median) }),
        el("td", { text: seconds(row.p95) }),
      ]);
      tr.addEventListener("click", () => this.select(this.selected === row.task ? null : row.task));
      this.body.append(tr);
    }
  }

  select(task) {
    this.selected = task;
    if (this.summary) this.update(this.summary);
    this.onSelect(task);
  }
}

// The logs panel: a window onto the run's (filtered) log lines, virtualised, so 100k lines cost
// the page only the rows on screen. Lines are fetched by offset in pages; new ones arrive on the
// run's stream and are appended. Filters and search run on the server.

import { getJSON, query } from "./api.js";
import { el } from "./dom.js";
import { clock, count } from "./format.js";

const PAGE = 200;
const ROW_H = 18;
const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

export class LogsPanel {
  constructor(container, runId, onFilter) {
    this.runId = runId;
    this.onFilter = onFilter;
    this.filter = { level: [], task: "", q: "" };
    this.pages = new Map();
    this.loading = new Set();
    this.total = 0;
    this.lastId = 0;
    this.generation = 0;
    this.follow = true;
    this.pool = [];
    this.build(container);
  }

  build(container) {
    const levels = el("span", { class: "levels" });
    for (const level of LEVELS) {
      const box = el("input", { type: "checkbox", dataset: { level } });
      box.addEventListener("change", () => {
        this.filter.level = [...levels.querySelectorAll("input:checked")].map((b) => b.dataset.level);
        this.reload();
      });
      levels.append(el("label", { class: `level-${level.toLowerCase()}` }, [box, ` ${level}`]));
    }
    this.search = el("input", { type: "search", id: "log-search", placeholder: "search the logs (Enter)" });
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        this.filter.q = this.search.value;
        this.reload();
      }
    });
    this.taskLabel = el("span", { class: "muted", id: "log-task" });
    const first = el("button", { id: "first-error", text: "Jump to first error" });
    first.addEventListener("click", () => this.jumpToFirstError());
    this.downloadAll = el("a", { id: "download-all", text: "download all", download: "" });
    this.downloadFiltered = el("a", { id: "download-filtered", text: "download filtered", download: "" });
    const follow = el("input", { type: "checkbox", id: "log-follow", checked: true });
    follow.addEventListener("change", () => {
      this.follow = follow.checked;
      if (this.follow) this.scrollToEnd();
    });
    this.counter = el("span", { class: "muted", id: "log-count" });
    this.viewport = el("div", { class: "log-viewport", id: "log-viewport", tabindex: "0" });
    this.spacer = el("div", { class: "log-spacer" });
    this.viewport.append(this.spacer);
    this.viewport.addEventListener("scroll", () => {
      const atEnd = this.viewport.scrollTop + this.viewport.clientHeight >= this.viewport.scrollHeight - ROW_H;
      if (!atEnd && this.follow) {
        this.follow = false;
        follow.checked = false;
      }
      this.render();
    });
    this.detail = el("pre", { class: "log-detail", id: "log-detail", hidden: true });
    container.append(
      el("div", { class: "toolbar" }, [levels, this.search, this.taskLabel, first, el("label", {}, [follow, " follow"]), this.downloadAll, this.downloadFiltered, this.counter]),
      this.viewport,
      this.detail,
    );
  }

  params(extra = {}) {
    return { level: this.filter.level.join(","), task: this.filter.task, q: this.filter.q, ...extra };
  }

  setTask(task) {
    this.filter.task = task || "";
    this.reload();
  }

  async reload() {
    const generation = ++this.generation;
    this.pages.clear();
    this.loading.clear();
    const first = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/logs${query(this.params({ offset: 0, limit: PAGE }))}`);
    if (generation !== this.generation) return;
    this.total = first.total;
    this.lastId = first.last_id;
    this.pages.set(0, first.lines);
    const base = `/api/runs/${encodeURIComponent(this.runId)}/logs.txt`;
    this.downloadAll.setAttribute("href", base);
    this.downloadFiltered.setAttribute("href", base + query(this.params()));
    this.taskLabel.textContent = this.filter.task ? `task: ${this.filter.task}` : "";
    this.layout();
    if (this.follow) this.scrollToEnd();
    this.render();
    this.onFilter();
  }

  // The panel became visible: its height is known now, so follow the tail again if asked.
  shown() {
    if (this.follow) this.scrollToEnd();
    this.render();
  }

  layout() {
    this.spacer.style.height = `${this.total * ROW_H}px`;
    this.counter.textContent = `${count(this.total)} lines`;
  }

  scrollToEnd() {
    this.viewport.scrollTop = this.viewport.scrollHeight;
  }

  // Lines from the live stream (already filtered by the server), in id order.
  append(lines) {
    if (!lines.length) return;
    let offset = this.total;
    for (const line of lines) {
      const page = Math.floor(offset / PAGE);
      const held = this.pages.get(page);
      if (held && held.length === offset - page * PAGE) held.push(line);
      else if (!held && offset % PAGE === 0) this.pages.set(page, [line]);
      offset++;
    }
    this.total = offset;
    this.lastId = lines[lines.length - 1][0];
    this.layout();
    if (this.follow) this.scrollToEnd();
    this.render();
  }

  async fetchPage(page) {
    if (this.loading.has(page)) return;
    this.loading.add(page);
    const generation = this.generation;
    const data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/logs${query(this.params({ offset: page * PAGE, limit: PAGE }))}`);
    if (generation !== this.generation) return;
    const held = this.pages.get(page) || [];
    this.pages.set(page, data.lines.length >= held.length ? data.lines.slice(0, this.total - page * PAGE) : held);
    this.loading.delete(page);
    this.render();
  }

  render() {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 400;
    const first = Math.max(Math.floor(top / ROW_H) - 5, 0);
    const last = Math.min(Math.ceil((top + height) / ROW_H) + 5, this.total);
    const shown = [];
    for (let i = first; i < last; i++) {
      const page = Math.floor(i / PAGE);
      const lines = this.pages.get(page);
      if (!lines) {
        this.fetchPage(page);
        continue;
      }
      const line = lines[i - page * PAGE];
      if (line) shown.push([i, line]);
    }
    while (this.pool.length < shown.length) {
      const row = el("div", { class: "log-line" }, [el("span", { class: "ts" }), el("span", { class: "lvl" }), el("span", { class: "who" }), el("span", { class: "msg" })]);
      row.addEventListener("click", () => this.showDetail(row.line));
      this.pool.push(row);
      this.spacer.append(row);
    }
    this.pool.forEach((row, k) => {
      if (k >= shown.length) {
        row.hidden = true;
        return;
      }
      const [i, line] = shown[k];
      const [, ts, level, , name, message] = line;
      row.hidden = false;
      row.line = line;
      row.style.top = `${i * ROW_H}px`;
      row.dataset.offset = String(i);
      row.className = `log-line level-${String(level).toLowerCase()}${i === this.mark ? " marked" : ""}`;
      const [tsNode, levelNode, whoNode, messageNode] = row.children;
      tsNode.textContent = clock(ts);
      levelNode.textContent = level;
      whoNode.textContent = name || "flow";
      messageNode.textContent = message;
    });
    this.viewport.dataset.rendered = String(shown.length);
  }

  showDetail(line) {
    if (!line) return;
    const [id, ts, level, key, name, message] = line;
    this.detail.textContent = `#${id} ${clock(ts)} ${level} ${name || "flow"} ${key || ""}\n${message}`;
    this.detail.hidden = false;
  }

  async jumpToFirstError() {
    const data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/logs/first-error${query(this.params())}`);
    if (data.offset === null) {
      this.counter.textContent = `${count(this.total)} lines, no ERROR or CRITICAL line`;
      return;
    }
    this.follow = false;
    document.getElementById("log-follow").checked = false;
    this.mark = data.offset;
    this.viewport.scrollTop = Math.max(data.offset * ROW_H - this.viewport.clientHeight / 3, 0);
    this.render();
  }
}


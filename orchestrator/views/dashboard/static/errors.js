// The errors panel: the run's failures grouped by task, error type and message shape, biggest
// group first, so one failure repeated 3,000 times is one row with its count.

import { getJSON } from "./api.js";
import { badge, clear, el } from "./dom.js";
import { count, when } from "./format.js";

export class ErrorsPanel {
  constructor(container, runId, info, onOpen) {
    this.runId = runId;
    this.info = info;
    this.onOpen = onOpen;
    this.task = null;
    this.node = el("div", { class: "errors", id: "errors" });
    container.append(this.node);
    this.failed = -1;
  }

  async load() {
    this.data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/errors`);
    this.failed = this.data.failed;
    this.show();
  }

  // From the summary: reload when the number of failed task runs changed.
  maybeReload(failed) {
    if (failed !== this.failed && !this.pending) {
      this.pending = true;
      this.load().finally(() => { this.pending = false; });
    }
  }

  setTask(task) {
    this.task = task;
    if (this.data) this.show();
  }

  show() {
    clear(this.node);
    const groups = this.data.groups.filter((g) => this.task === null || g.task === this.task);
    this.node.append(el("p", { class: "muted", text: `${count(this.data.failed)} failed task runs in ${count(this.data.groups.length)} groups` }));
    if (!groups.length) {
      this.node.append(el("p", { text: "No failures." }));
      return;
    }
    const rows = groups.map((g) => {
      const open = el("button", { class: "link", text: g.first_name });
      open.addEventListener("click", () => this.onOpen({ key: g.first_key }));
      return el("tr", { dataset: { task: g.task } }, [
        el("td", { class: "count", text: count(g.count) }),
        el("td", { class: "task-name", text: g.task }),
        el("td", { class: "mono", text: g.error_type || "–" }),
        el("td", { class: "error-message", text: g.message, title: g.messages > 1 ? `${g.messages} distinct messages like: ${g.shape}` : g.message }),
        el("td", {}, g.states.map((s) => badge(s, this.info.colours))),
        el("td", { text: when(g.first_ts) }),
        el("td", {}, open),
      ]);
    });
    this.node.append(
      el("table", { class: "grid", id: "error-groups" }, [
        el("thead", {}, el("tr", {}, ["count", "task", "error", "message", "state", "first", "example"].map((h) => el("th", { text: h })))),
        el("tbody", {}, rows),
      ]),
    );
  }
}

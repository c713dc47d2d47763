// The task drawer: one task run with every attempt and its transitions, the error and its
// traceback, that task's logs, and links into Dask's own dashboard for the task and its worker.

import { getJSON, query } from "./api.js";
import { add, badge, clear, el, external } from "./dom.js";
import { clock, count, seconds } from "./format.js";

export class TaskDrawer {
  constructor(container, runId, info) {
    this.runId = runId;
    this.info = info;
    this.node = el("aside", { class: "drawer", id: "task-drawer", hidden: true });
    container.append(this.node);
    this.current = null;
  }

  async open(spec) {
    // spec: {key} or {row}
    this.current = spec;
    const data = await getJSON(`/api/runs/${encodeURIComponent(this.runId)}/task${query(spec)}`);
    if (this.current !== spec) return; // a newer open() won
    this.show(data);
  }

  // keys: the task runs a live update changed; reload if the shown one is among them.
  refresh(keys) {
    if (this.current === null || this.node.hidden || !keys.has(this.shown) || this.loading) return;
    this.loading = true;
    this.open(this.current).finally(() => { this.loading = false; });
  }

  close() {
    this.current = null;
    this.node.hidden = true;
  }

  show(data) {
    const { task } = data;
    this.shown = task.key;
    const colours = this.info.colours;
    clear(this.node);
    const closeButton = el("button", { class: "close", text: "×", "aria-label": "close" });
    closeButton.addEventListener("click", () => this.close());
    const links = el("p", { class: "links" }, [
      task.dask_task ? external(task.dask_task, "task in the Dask dashboard") : el("span", { class: "muted", text: "no Dask dashboard recorded" }),
      task.dask_worker ? " · " : null,
      task.dask_worker ? external(task.dask_worker, "worker in the Dask dashboard") : null,
    ]);
    const attempts = new Map();
    for (const t of data.transitions) {
      const n = t.attempt || 1;
      if (!attempts.has(n)) attempts.set(n, []);
      attempts.get(n).push(t);
    }
    const attemptNodes = [...attempts.entries()].map(([n, transitions]) =>
      el("div", { class: "attempt" }, [
        el("h3", { text: `attempt ${n}` }),
        el("ul", { class: "transitions" }, transitions.map((t) =>
          el("li", {}, [
            el("span", { class: "mono", text: clock(t.ts) }),
            " ",
            badge(t.state, colours),
            t.worker ? el("span", { class: "muted", text: ` on ${t.worker}` }) : null,
            t.message ? el("div", { class: "message", text: t.message }) : null,
          ]),
        )),
      ]),
    );
    const error = task.error_type
      ? el("section", { class: "error-box" }, [
          el("h3", { class: "error-title", text: `${task.error_type}: ${task.error_message || ""}` }),
          task.traceback ? el("pre", { class: "traceback", id: "task-traceback", text: task.traceback }) : null,
        ])
      : null;
    const logs = el("pre", { class: "task-logs", id: "task-logs", text: data.logs.map((l) => `${clock(l[1])} ${l[2].padEnd(8)} ${l[5]}`).join("\n") || "no log lines" });
    add(
      this.node,
      closeButton,
      el("h2", { id: "drawer-title" }, [el("span", { class: "task-name", text: task.name }), " ", badge(task.state, colours)]),
      el("p", { class: "mono muted", text: task.key }),
      el("div", { class: "facts" }, [
        el("div", {}, [el("span", { class: "muted", text: "worker " }), task.worker || "in-process (driver)"]),
        el("div", {}, [el("span", { class: "muted", text: "duration " }), task.start !== null && task.end !== null ? seconds(task.end - task.start) : "–"]),
        el("div", {}, [el("span", { class: "muted", text: "attempts " }), String(task.attempt)]),
      ]),
      task.message && !task.error_type ? el("p", { class: "message", text: task.message }) : null,
      links,
      error,
      ...attemptNodes,
      el("h3", { text: `logs (${count(data.log_count)})` }),
      logs,
    );
    this.node.hidden = false;
  }
}

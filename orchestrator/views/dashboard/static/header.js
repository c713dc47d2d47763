// The run page's header: state, duration, parameters, driver, heartbeat age, where it ran, results, actions.

import { post } from "./api.js";
import { add, badge, clear, el, external } from "./dom.js";
import { clock, seconds, when } from "./format.js";

export class RunHeader {
  constructor(container, info, now) {
    this.info = info;
    this.now = now;
    this.node = el("section", { class: "run-header", id: "run-header" });
    container.append(this.node);
    this.ticking = setInterval(() => this.tick(), 1000);
  }

  update(data) {
    this.data = data;
    const { run, info: where, actions } = data;
    const colours = this.info.colours;
    clear(this.node);
    this.duration = el("span", { id: "run-duration" });
    this.heartbeat = el("span", { id: "run-heartbeat" });
    const params = el("dl", { class: "params", id: "run-params" });
    for (const [name, value] of Object.entries(run.parameters || {})) {
      params.append(el("dt", { text: name }), el("dd", { text: JSON.stringify(value) }));
    }
    if (!params.childNodes.length) params.append(el("dd", { class: "muted", text: "no parameters" }));
    const cancel = el("button", { id: "cancel-run", text: "Cancel run", class: "danger" });
    const rerun = el("button", { id: "rerun", text: "Re-run" });
    this.action(cancel, actions.cancel, () => post(`/api/runs/${encodeURIComponent(run.id)}/cancel`), "Cancel this run? Its driver gets SIGINT.");
    this.action(rerun, actions.rerun, async () => {
      const started = await post(`/api/runs/${encodeURIComponent(run.id)}/rerun`);
      window.location.assign(`/runs/${encodeURIComponent(started.run)}`);
    });
    this.actionStatus = el("span", { class: "muted", id: "action-status" });
    const facts = [
      ["started", when(run.started)],
      ["duration", this.duration],
      ["driver", run.host ? `${run.host} pid ${run.pid}` : "–"],
      ["heartbeat", this.heartbeat],
      ["executor", where.executor || "–"],
      ["scheduler", where.scheduler || "–"],
      ["Dask dashboard", where.dashboard ? external(where.dashboard, where.dashboard) : "–"],
      ["flow", where.entrypoint || "–"],
    ];
    const results = data.results || {};
    if (Object.keys(results).length || data.resumed_from) {
      const reused = data.resumed_from
        ? el("span", {}, [`${results.resume || 0} reused from `, el("a", { href: `/runs/${encodeURIComponent(data.resumed_from)}`, class: "mono", text: data.resumed_from })])
        : `${results.resume || 0} reused`;
      const shown = el("span", { id: "run-results" }, [`${results.written || 0} persisted · ${results.cache || 0} cache hits · `, reused]);
      facts.push(["results", shown]);
    }
    add(
      this.node,
      el("div", { class: "title" }, [
        el("h1", {}, [el("span", { class: "flow-name", id: "run-flow", text: run.flow }), " ", el("span", { class: "mono muted", text: run.id })]),
        badge(run.state, colours),
        el("span", { class: "actions" }, [cancel, rerun, this.actionStatus]),
      ]),
      run.message ? el("p", { class: "message", id: "run-message", text: run.message }) : null,
      el("div", { class: "facts" }, facts.map(([k, v]) => el("div", {}, [el("span", { class: "muted", text: `${k} ` }), v]))),
      params,
    );
    this.tick();
  }

  action(button, state, run, confirmText) {
    if (!state.allowed) {
      button.disabled = true;
      button.title = state.reason || "";
      if (this.info.read_only) button.hidden = true;
      return;
    }
    button.addEventListener("click", async () => {
      if (confirmText && !window.confirm(confirmText)) return;
      button.disabled = true;
      try {
        await run();
        this.actionStatus.textContent = "sent";
      } catch (error) {
        this.actionStatus.textContent = error.message;
        button.disabled = false;
      }
    });
  }

  tick() {
    if (!this.data) return;
    const { run } = this.data;
    const end = run.ended ?? this.now();
    this.duration.textContent = seconds(Math.max(end - run.started, 0)) + (run.ended === null ? " so far" : "");
    if (!run.heartbeat) this.heartbeat.textContent = "–";
    else if (run.ended !== null) this.heartbeat.textContent = `last at ${clock(run.heartbeat)}`;
    else this.heartbeat.textContent = `${seconds(Math.max(this.now() - run.heartbeat, 0))} ago`;
  }
}

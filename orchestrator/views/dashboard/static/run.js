// One run's page: header, strip per task name, and the timeline, graph, logs and errors panels,
// all kept live by one stream (/api/runs/ID/events) that resumes from the ids it last saw.

import { getBinary, getJSON, query, stream } from "./api.js";
import { TaskTable } from "./columns.js";
import { el } from "./dom.js";
import { TaskDrawer } from "./drawer.js";
import { ErrorsPanel } from "./errors.js";
import { seconds } from "./format.js";
import { Gantt } from "./gantt.js";
import { GraphPanel } from "./graph.js";
import { RunHeader } from "./header.js";
import { LogsPanel } from "./logs.js";
import { TaskStrip } from "./strip.js";

const TABS = ["timeline", "graph", "logs", "errors"];

export async function render(root, params, info) {
  // Everything the first paint needs, asked for at once; the summary and critical path follow.
  const asked = `/api/runs/${encodeURIComponent(params.id)}`;
  const summaryLater = getJSON(`${asked}/summary`);
  const [first, columns] = await Promise.all([getJSON(asked), getBinary(`${asked}/columns`)]);
  const runId = first.run.id;
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const skew = first.now - Date.now() / 1000;
  const now = () => Date.now() / 1000 + skew;
  let terminal = info.terminal.includes(first.run.state);

  const header = new RunHeader(root, info, now);
  header.update(first);
  const layout = el("div", { class: "run-body" });
  const mainColumn = el("div", { class: "run-main" });
  layout.append(mainColumn);
  root.append(layout);
  const drawer = new TaskDrawer(layout, runId, info);

  const stripBox = el("section", { class: "strip-box" });
  mainColumn.append(stripBox);
  const tabBar = el("nav", { class: "tabs", role: "tablist" });
  const panels = {};
  for (const name of TABS) {
    panels[name] = el("section", { class: "panel", id: `panel-${name}`, hidden: true });
    const button = el("button", { role: "tab", id: `tab-${name}`, text: name[0].toUpperCase() + name.slice(1) });
    button.addEventListener("click", () => show(name));
    tabBar.append(button);
  }
  mainColumn.append(tabBar, ...Object.values(panels));

  // -- the timeline --
  const toolbar = el("div", { class: "toolbar" });
  const colourBy = el("select", { id: "colour-by" }, [el("option", { value: "task", text: "colour by task name" }), el("option", { value: "state", text: "colour by state" })]);
  const zoomIn = el("button", { text: "+", title: "zoom in (or use the wheel)" });
  const zoomOut = el("button", { text: "−", title: "zoom out" });
  const fit = el("button", { text: "fit", title: "show everything (or double-click)" });
  const criticalInfo = el("span", { class: "muted", id: "critical-info" });
  const hover = el("span", { class: "hover", id: "gantt-hover" });
  toolbar.append(colourBy, zoomIn, zoomOut, fit, criticalInfo, hover);
  const canvasBox = el("div", { class: "gantt-box", id: "gantt-box" });
  panels.timeline.append(toolbar, canvasBox, el("p", { class: "muted legend", text: "Drag to pan, wheel to zoom, click a bar for its task run. Orange: the critical path; red ticks: failed attempts that were retried; pale columns: task runs narrower than a pixel, by how much of it they cover." }));

  const wanted = params.tab || params.query.get("tab") || "timeline";
  panels[TABS.includes(wanted) ? wanted : "timeline"].hidden = false; // drawn visible from the first frame
  const table = new TaskTable(columns);
  const gantt = new Gantt(canvasBox, table, {
    colours: info.colours,
    now: terminal ? null : now,
    onPick: (i) => drawer.open({ row: table.id[i] }),
    onHover: (i) => {
      if (i < 0) {
        hover.textContent = "";
        return;
      }
      const worker = table.workers[table.worker[i]];
      const duration = Number.isNaN(table.end[i]) ? "running" : seconds(table.end[i] - table.start[i]);
      hover.textContent = `${table.tasks[table.task[i]]} · ${table.states[table.state[i]]} · ${duration} · ${worker === null ? "in-process" : worker}${table.attempt[i] > 1 ? ` · attempt ${table.attempt[i]}` : ""}`;
    },
  });
  colourBy.addEventListener("change", () => { gantt.mode = colourBy.value; gantt.schedule(); });
  zoomIn.addEventListener("click", () => gantt.zoom(0.5));
  zoomOut.addEventListener("click", () => gantt.zoom(2));
  fit.addEventListener("click", () => gantt.reset());
  gantt.draw();

  // -- the strip, the panels and the task filter they share --
  const logs = new LogsPanel(panels.logs, runId, () => reconnect());
  const errors = new ErrorsPanel(panels.errors, runId, info, (spec) => drawer.open(spec));
  const graph = new GraphPanel(panels.graph, runId, info, (spec) => drawer.open(spec));
  const strip = new TaskStrip(stripBox, (task) => {
    gantt.filter = task === null ? null : new Set([table.taskIndex.get(task)]);
    gantt.schedule();
    logs.setTask(task);
    errors.setTask(task);
    graph.setTask(task);
  });
  let graphLoaded = false;
  let graphAt = 0;
  const summarise = (summary) => {
    strip.update(summary);
    errors.maybeReload(summary.strip.reduce((n, row) => n + row.failed, 0));
    if (graphLoaded && !panels.graph.hidden && Date.now() - graphAt > 5000) {
      graphAt = Date.now();
      graph.refresh(); // the states of a live run's boxes, at most every 5 s
    }
  };
  summarise(await summaryLater);
  const showCritical = (critical) => {
    gantt.critical = critical.ids;
    criticalInfo.textContent = critical.ids.length ? `critical path: ${critical.ids.length} task runs, ${seconds(critical.work)} of work over ${seconds(critical.span)}` : "";
    gantt.schedule();
  };
  getJSON(`${base}/critical`).then(showCritical);

  function show(name) {
    for (const tab of TABS) {
      panels[tab].hidden = tab !== name;
      document.getElementById(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    }
    if (name === "graph" && !graphLoaded) {
      graphLoaded = true;
      graphAt = Date.now();
      graph.load();
    }
    if (name === "timeline") gantt.schedule();
    if (name === "logs") logs.shown();
    const url = new URL(window.location.href);
    url.searchParams.set("tab", name);
    window.history.replaceState(null, "", url);
  }

  // -- live: one stream, reopened when the log filter changes --
  let live = null;
  const status = el("span", { class: "muted", id: "live-status" });
  toolbar.append(status);
  function reconnect() {
    if (live) live.close();
    const after = `${table.lastId}:${logs.lastId}`;
    live = stream(`${base}/events${query({ ...logs.params(), after })}`, {
      run: (data) => {
        header.update(data);
        performance.mark("run-update"); // benchmarks: when a state change reached the page
        const ended = info.terminal.includes(data.run.state);
        if (ended && !terminal) {
          terminal = true;
          gantt.options.now = null;
          gantt.schedule();
        }
      },
      tasks: (data, id) => {
        table.upsert(data.rows, data.retries);
        table.lastId = Number(id.split(":")[0]);
        gantt.schedule();
        performance.mark("tasks-update");
        drawer.refresh(new Set(data.rows.map((r) => r[1])));
      },
      logs: (data) => logs.append(data.lines),
      summary: summarise,
      critical: showCritical,
    }, (open) => { status.textContent = terminal ? "" : open ? "live" : "reconnecting…"; });
  }
  await logs.reload(); // its first window; then the stream continues after it

  show(TABS.includes(wanted) ? wanted : "timeline");
  const task = params.task || params.query.get("task");
  if (task) drawer.open({ key: task });
  root.dataset.ready = "1";
  window.addEventListener("pagehide", () => live && live.close());
}

// Compare runs of a flow (such as `daskflow bench` repeats): wall time, critical path and
// scheduling share per run, per-task-name medians against the first run with regressions
// marked, and the runs' timelines on one time axis, aligned at their starts.

import { getBinary, getJSON, query } from "./api.js";
import { badge, el } from "./dom.js";
import { ratio, seconds, when } from "./format.js";
import { Gantt, TimeView } from "./gantt.js";
import { TaskTable } from "./columns.js";

export async function render(root, { query: search }, info) {
  const ids = (search.get("runs") || "").split(",").filter(Boolean);
  root.append(el("h1", { text: "Compare runs" }));
  if (ids.length < 2) {
    root.append(el("p", { text: "Pick two or more runs on the runs page (the check boxes), then Compare." }));
    return;
  }
  const data = await getJSON(`/api/compare${query({ runs: ids.join(",") })}`);
  const runs = data.runs;
  root.append(
    el("table", { class: "grid", id: "compare-runs" }, [
      el("thead", {}, el("tr", {}, ["run", "flow", "state", "started", "wall", "critical path", "work on it", "scheduling share", "task runs"].map((h) => el("th", { text: h })))),
      el("tbody", {}, runs.map((r, k) => el("tr", { class: k === 0 ? "baseline" : "" }, [
        el("td", {}, el("a", { class: "mono", href: `/runs/${encodeURIComponent(r.id)}`, text: r.id })),
        el("td", { class: "flow-name", text: r.flow }),
        el("td", {}, badge(r.state, info.colours)),
        el("td", { text: when(r.started) }),
        el("td", { text: seconds(r.wall) }),
        el("td", { text: seconds(r.critical_span) }),
        el("td", { text: seconds(r.critical_work) }),
        el("td", { text: `${(100 * r.scheduling_share).toFixed(1)}%` }),
        el("td", { text: String(r.tasks) }),
      ]))),
    ]),
    el("h2", { text: "Median task time by task name (against the first run)" }),
    el("table", { class: "grid", id: "compare-tasks" }, [
      el("thead", {}, el("tr", {}, ["task", ...runs.map((r) => r.id)].map((h) => el("th", { class: "mono", text: h })))),
      el("tbody", {}, data.tasks.map((row) => el("tr", {}, [
        el("td", { class: "task-name", text: row.task }),
        ...row.runs.map((cell, k) => el("td", { class: cell.verdict, dataset: { verdict: cell.verdict || "same" } }, [
          seconds(cell.median),
          k > 0 && cell.ratio !== null ? el("span", { class: "ratio", text: ` ${ratio(cell.ratio)}` }) : null,
        ])),
      ]))),
    ]),
    el("h2", { text: "Timelines, aligned at each run's start" }),
  );
  const view = new TimeView();
  const longest = Math.max(...runs.map((r) => r.wall), 1e-3);
  const gantts = [];
  for (const r of runs) {
    const box = el("div", { class: "gantt-box compare-gantt", dataset: { run: r.id } });
    root.append(el("h3", { class: "mono", text: r.id }), box);
    const table = new TaskTable(await getBinary(`/api/runs/${encodeURIComponent(r.id)}/columns`));
    const gantt = new Gantt(box, table, { colours: info.colours, view });
    gantts.push(gantt);
  }
  view.fullEnd = longest * 1.02;
  view.set(0, view.fullEnd);
  for (const gantt of gantts) gantt.draw();
  root.dataset.ready = "1";
}

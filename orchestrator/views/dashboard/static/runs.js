// The runs page: filters, counts per state, one page of runs (by cursor), rows that update live.

import { getJSON, query, stream } from "./api.js";
import { badge, clear, el } from "./dom.js";
import { count, params, seconds, when } from "./format.js";

const PAGE = 50;

function filtersFrom(search) {
  return {
    flow: search.get("flow") || "",
    state: search.getAll("state").flatMap((s) => s.split(",")).filter(Boolean),
    since: search.get("since") || "",
    until: search.get("until") || "",
    param: search.getAll("param"),
  };
}

function epoch(local) {
  // datetime-local gives local time without a zone; the API takes epoch seconds.
  if (!local) return "";
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? String(ms / 1000) : "";
}

export async function render(root, { query: search }, info) {
  const filters = filtersFrom(search);
  const cursors = search.get("cursor") ? [search.get("cursor")] : [];
  const selected = new Set();
  let rows = new Map();
  let live = null;

  const counts = el("div", { class: "counts", id: "state-counts" });
  const tbody = el("tbody", { id: "runs-body" });
  const status = el("span", { class: "muted", id: "live-status" });
  const compare = el("button", { id: "compare", disabled: true, text: "Compare selected" });
  const older = el("button", { id: "older", text: "Older →" });
  const newer = el("button", { id: "newer", text: "← Newest" });
  const flowSelect = el("select", { id: "flow-filter" }, [el("option", { value: "", text: "all flows" })]);
  const since = el("input", { type: "datetime-local", id: "since", step: "1" });
  const until = el("input", { type: "datetime-local", id: "until", step: "1" });
  const paramInput = el("input", { id: "param-filter", placeholder: "parameter=value, …", size: "28" });
  paramInput.value = filters.param.join(", ");

  function apply(changes) {
    const next = { ...filters, ...changes };
    const target = query({
      flow: next.flow,
      state: next.state,
      since: next.since,
      until: next.until,
      param: next.param,
      cursor: changes.cursor,
    });
    window.location.assign(`/${target}`);
  }

  flowSelect.addEventListener("change", () => apply({ flow: flowSelect.value }));
  since.addEventListener("change", () => apply({ since: epoch(since.value) }));
  until.addEventListener("change", () => apply({ until: epoch(until.value) }));
  paramInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const items = paramInput.value.split(",").map((s) => s.trim()).filter((s) => s.includes("="));
    apply({ param: items });
  });
  compare.addEventListener("click", () => {
    window.location.assign(`/compare${query({ runs: [...selected].join(",") })}`);
  });
  newer.addEventListener("click", () => apply({ cursor: undefined }));

  root.append(
    el("section", { class: "toolbar" }, [
      el("h1", { text: "Flow runs" }),
      el("label", {}, ["flow ", flowSelect]),
      el("label", {}, ["from ", since]),
      el("label", {}, ["to ", until]),
      el("label", {}, ["parameters ", paramInput]),
      status,
    ]),
    counts,
    el("table", { class: "grid runs" }, [
      el("thead", {}, el("tr", {}, ["", "run", "flow", "state", "started", "duration", "parameters", "driver"].map((h) => el("th", { text: h })))),
      tbody,
    ]),
    el("div", { class: "pager" }, [newer, older, compare]),
  );

  function row(run) {
    const box = el("input", { type: "checkbox", "aria-label": `select ${run.id}` });
    box.checked = selected.has(run.id);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(run.id);
      else selected.delete(run.id);
      compare.disabled = selected.size < 2;
    });
    const end = run.ended ?? (run.state === "Running" ? Date.now() / 1000 : null);
    return el("tr", { dataset: { run: run.id, state: run.state } }, [
      el("td", {}, box),
      el("td", {}, el("a", { href: `/runs/${encodeURIComponent(run.id)}`, class: "mono", text: run.id })),
      el("td", { class: "flow-name", text: run.flow }),
      el("td", {}, badge(run.state, info.colours)),
      el("td", { text: when(run.started) }),
      el("td", { text: end !== null ? seconds(Math.max(end - run.started, 0)) : "–" }),
      el("td", { class: "params", text: params(run.parameters), title: params(run.parameters) }),
      el("td", { class: "muted", text: run.host ? `${run.host}:${run.pid}` : "–" }),
    ]);
  }

  function showCounts(byState) {
    clear(counts);
    const total = Object.values(byState).reduce((a, b) => a + b, 0);
    const chip = (label, state, n) => {
      const on = state === null ? filters.state.length === 0 : filters.state.includes(state);
      const button = el("button", { class: on ? "chip on" : "chip", dataset: { state: state || "all" } }, [
        label,
        el("b", { text: ` ${count(n)}` }),
      ]);
      if (state && info.colours[state]) button.style.borderColor = info.colours[state];
      button.addEventListener("click", () => {
        if (state === null) apply({ state: [] });
        else apply({ state: on ? filters.state.filter((s) => s !== state) : [...filters.state, state] });
      });
      return button;
    };
    counts.append(chip("all", null, total));
    for (const state of info.states) if (byState[state]) counts.append(chip(state, state, byState[state]));
  }

  const base = { flow: filters.flow, state: filters.state, since: filters.since, until: filters.until, param: filters.param };
  const page = await getJSON(`/api/runs${query({ ...base, cursor: cursors[0], limit: PAGE })}`);
  for (const flow of page.flows) flowSelect.append(el("option", { value: flow, text: flow, selected: flow === filters.flow }));
  const toLocal = (value) => {
    if (!value) return "";
    const d = new Date(Number(value) * 1000 - new Date().getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 19);
  };
  since.value = toLocal(filters.since);
  until.value = toLocal(filters.until);
  showCounts(page.counts);
  for (const run of page.runs) {
    const tr = row(run);
    rows.set(run.id, tr);
    tbody.append(tr);
  }
  if (!page.runs.length) tbody.append(el("tr", {}, el("td", { colspan: "8", class: "muted", text: "No flow runs match." })));
  older.disabled = !page.next;
  newer.disabled = cursors.length === 0;
  older.addEventListener("click", () => apply({ cursor: page.next }));
  performance.mark("runs-rendered");
  root.dataset.ready = "1";

  // Live: runs that change update their row; new runs that match appear on the first page.
  live = stream(`/api/runs/events${query({ ...base, after: page.after })}`, {
    runs: (data) => {
      const matching = new Set(data.matching);
      for (const run of data.runs) {
        const old = rows.get(run.id);
        if (old) {
          const fresh = row(run);
          old.replaceWith(fresh);
          rows.set(run.id, fresh);
        } else if (matching.has(run.id) && cursors.length === 0) {
          const fresh = row(run);
          rows.set(run.id, fresh);
          tbody.prepend(fresh);
        }
      }
    },
    counts: (data) => showCounts(data.counts),
  }, (open) => { status.textContent = open ? "live" : "reconnecting…"; });
  window.addEventListener("pagehide", () => live.close());
}

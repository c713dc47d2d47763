// The dashboard's entry point: picks the view for this page's path and renders it.

import { session } from "./api.js";
import { clear, el } from "./dom.js";

const routes = [
  [/^\/$/, () => import("./runs.js"), () => ({})],
  [/^\/compare$/, () => import("./compare.js"), () => ({})],
  [/^\/runs\/([^/]+)\/?$/, () => import("./run.js"), (m) => ({ id: decodeURIComponent(m[1]) })],
  [/^\/runs\/([^/]+)\/logs$/, () => import("./run.js"), (m) => ({ id: decodeURIComponent(m[1]), tab: "logs" })],
  [/^\/runs\/([^/]+)\/errors$/, () => import("./run.js"), (m) => ({ id: decodeURIComponent(m[1]), tab: "errors" })],
  [/^\/runs\/([^/]+)\/graph$/, () => import("./run.js"), (m) => ({ id: decodeURIComponent(m[1]), tab: "graph" })],
  [
    /^\/runs\/([^/]+)\/tasks\/(.+)$/,
    () => import("./run.js"),
    (m) => ({ id: decodeURIComponent(m[1]), task: decodeURIComponent(m[2]) }),
  ],
];

async function main() {
  const root = document.getElementById("main");
  try {
    const info = await session();
    const store = document.getElementById("store");
    store.textContent = info.store + (info.read_only ? " · read-only" : "");
    for (const [pattern, load, params] of routes) {
      const match = window.location.pathname.match(pattern);
      if (match) {
        const view = await load();
        clear(root);
        await view.render(root, { ...params(match), query: new URLSearchParams(window.location.search) }, info);
        return;
      }
    }
    clear(root).append(el("p", { class: "error", text: `No page at ${window.location.pathname}` }));
  } catch (error) {
    clear(root).append(el("p", { class: "error", text: `Could not load this page: ${error.message}` }));
  }
}

main();

// Building DOM nodes. Everything that came from a run (names, parameters, log lines, tracebacks)
// goes in through textContent only, never as HTML; links go through safeHref.

export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else if (name === "style") node.style.cssText = value; // CSSOM: allowed under a CSP without inline styles
    else if (name === "href") {
      const href = safeHref(value);
      if (href !== null) node.setAttribute("href", href);
    } else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A link target we are willing to put in an href: our own paths, or http(s) URLs. Anything
// else (javascript:, data:, vbscript:) gives null, and the element gets no link.
export function safeHref(value) {
  if (typeof value !== "string" || value === "") return null;
  if (value.startsWith("/") && !value.startsWith("//")) return value;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// An external link (the Dask dashboard): opens in a new tab, sends no referrer.
export function external(href, text) {
  const safe = safeHref(href);
  if (safe === null) return el("span", { class: "muted", text: text });
  return el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: text });
}

// node.append(...) without the nulls and falses that optional parts leave (append would write "null").
export function add(node, ...children) {
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function badge(state, colours) {
  const span = el("span", { class: "badge", text: state, dataset: { state: state } });
  const colour = colours && colours[state];
  if (colour) span.style.background = colour;
  return span;
}

export function table(headers, rows, className = "grid") {
  return el("table", { class: className }, [
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
    el("tbody", {}, rows),
  ]);
}

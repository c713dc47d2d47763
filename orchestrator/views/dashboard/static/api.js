// Talking to the dashboard's API: JSON and binary GETs, POSTs with the XSRF token, and live
// streams (one EventSource per page; it resumes by itself from the last event id it saw).

let sessionPromise = null;

export function session() {
  if (sessionPromise === null) sessionPromise = getJSON("/api/session");
  return sessionPromise;
}

async function check(response) {
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.error) message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return response;
}

export async function getJSON(url) {
  const response = await check(await fetch(url, { credentials: "same-origin" }));
  return response.json();
}

export async function getBinary(url) {
  const response = await check(await fetch(url, { credentials: "same-origin" }));
  return response.arrayBuffer();
}

export async function post(url) {
  const { xsrf } = await session();
  const response = await check(
    await fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-XSRF-Token": xsrf } }),
  );
  return response.json();
}

// Open a live stream; handlers maps event names to functions of the parsed data.
// Returns an object with close(). onState(open: boolean) reports the connection.
export function stream(url, handlers, onState = () => {}) {
  const source = new EventSource(url);
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => handler(JSON.parse(event.data), event.lastEventId));
  }
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return { close: () => source.close(), source };
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const item of [].concat(value)) search.append(key, item);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// The session (token and operator name in sessionStorage; role and permissions from the server,
// GET /api/v1/session, never chosen here) and calls to the API with it.
"use strict";

export const session = {
  get token() { return sessionStorage.getItem("hotline-token") || ""; },
  get name() { return sessionStorage.getItem("hotline-operator") || ""; },
  role: "",
  permissions: new Set(),
  may(permission) { return this.permissions.has(permission); },
  save(token, name) {
    sessionStorage.setItem("hotline-token", token);
    sessionStorage.setItem("hotline-operator", name);
  },
  // What the token's role may do, as the server says (its answer decides the panels shown).
  async load() {
    const me = await getJSON("/api/v1/session");
    this.role = me.role;
    this.permissions = new Set(me.permissions);
    return me;
  },
  clear() {
    for (const key of ["hotline-token", "hotline-operator"]) sessionStorage.removeItem(key);
  },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(`HTTP ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

function url(path, params) {
  const u = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) u.searchParams.append(key, String(v));
  }
  return u;
}

// Called once when the server answers 401: the token is wrong or was revoked.
let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

async function request(method, path, params, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) unauthorized();
  if (!response.ok) {
    // Every error is RFC 9457 problem details: `detail` says what, `request_id` finds the log lines.
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.request_id ? `${problem.detail} (request ${problem.request_id})` : String(problem.detail);
    } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response;
}

export async function getJSON(path, params) { return (await request("GET", path, params)).json(); }
export async function getText(path, params) { return (await request("GET", path, params)).text(); }
export async function getBlob(path, params) { return (await request("GET", path, params)).blob(); }
export async function postJSON(path, body) { return (await request("POST", path, undefined, body)).json(); }
export async function deleteJSON(path) { return (await request("DELETE", path)).json(); }

// Does this server provide an endpoint? Read from its OpenAPI document (fetched once), so probing
// never produces a 404.
let openapi = null;
export async function endpointExists(path) {
  if (!openapi) openapi = fetch("/openapi.json").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  const spec = await openapi;
  if (!spec) return true; // the document is not public here: try the endpoint itself
  return Object.prototype.hasOwnProperty.call(spec.paths || {}, path);
}

// A websocket that reconnects (2 s, then up to 30 s) until closed for a bad token (1008).
export function openSocket(path, params, { onMessage, onState }) {
  let socket = null, stopped = false, delay = 2000;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  function connect() {
    const u = url(path, { ...params(), token: session.token });
    u.protocol = proto;
    onState("connecting");
    socket = new WebSocket(u);
    socket.onopen = () => { delay = 2000; onState("connected"); };
    socket.onmessage = (msg) => {
      let data;
      try { data = JSON.parse(msg.data); } catch { return; }
      onMessage(data);
    };
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === 1008) { onState("invalid"); return; }
      onState("offline");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
  return { close() { stopped = true; if (socket) socket.close(); } };
}

// Run fn now and every `seconds` while the page is visible; returns a stop function.
export function every(seconds, fn) {
  let timer = null;
  const tick = async () => {
    try { await fn(); } finally { timer = setTimeout(tick, seconds * 1000); }
  };
  tick();
  return () => clearTimeout(timer);
}

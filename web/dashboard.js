// burrow dashboard: polls the server's JSON API every POLL_MS and renders
// plain tables (searchable, sortable) and a per-minute chart of the
// selected proxy. No framework and no network beyond this origin.
"use strict";

const POLL_MS = 2000;
const state = {
  proxies: [], clients: [], pairs: [], live: [],
  sort: { proxies: ["name", 1], clients: ["user", 1], p2p: ["offeredAt", -1], live: ["sinceMs", -1] },
  selected: null,
};

function $(id) { return document.getElementById(id); }

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function since(unix) {
  if (!unix) return "";
  return new Date(unix * 1000).toLocaleString();
}

function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m";
}

async function getJSON(path) {
  // location.origin: a page opened as http://user:pw@host/ may not fetch
  // URLs that carry credentials, and a relative one would inherit them.
  const r = await fetch(location.origin + path, { credentials: "same-origin", cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function where(p) {
  const c = p.conf || {};
  const parts = [];
  if (c.remotePort) parts.push(String(c.remotePort));
  if (Array.isArray(c.customDomains)) parts.push(...c.customDomains);
  if (c.subdomain) parts.push(c.subdomain + ".*");
  return parts.join(", ");
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function sorted(rows, key, dir) {
  return rows.slice().sort((a, b) => {
    const x = a[key], y = b[key];
    if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
    return String(x ?? "").localeCompare(String(y ?? "")) * dir;
  });
}

function markSorted(table, key, dir) {
  for (const th of $(table).querySelectorAll("th")) {
    th.classList.toggle("sorted-asc", th.dataset.key === key && dir > 0);
    th.classList.toggle("sorted-desc", th.dataset.key === key && dir < 0);
  }
}

function fill(table, rows, render) {
  const [key, dir] = state.sort[table];
  markSorted(table, key, dir);
  const body = $(table).querySelector("tbody");
  body.replaceChildren();
  for (const row of sorted(rows, key, dir)) body.appendChild(render(row));
}

function renderClients() {
  $("n-clients").textContent = "(" + state.clients.length + ")";
  const rows = state.clients.map((c) => Object.assign({
    metaText: Object.entries(c.metadatas || {}).map(([k, v]) => k + "=" + v).join(", "),
  }, c));
  fill("clients", rows, (c) => {
    const tr = document.createElement("tr");
    cell(tr, c.user || "—"); cell(tr, c.hostname); cell(tr, c.address); cell(tr, c.version);
    cell(tr, since(c.since)); cell(tr, String(c.proxies), "num"); cell(tr, c.natType || "—");
    cell(tr, c.clientID || "—"); cell(tr, c.metaText || "—");
    cell(tr, c.runId);
    return tr;
  });
}

function renderProxies() {
  const q = $("search").value.trim().toLowerCase();
  const rows = state.proxies.map((p) => Object.assign({ where: where(p) }, p)).filter((p) =>
    !q || [p.name, p.type, p.user, p.status, p.where].join(" ").toLowerCase().includes(q));
  $("n-proxies").textContent = "(" + rows.length + (q ? " of " + state.proxies.length : "") + ")";
  fill("proxies", rows, (p) => {
    const tr = document.createElement("tr");
    tr.dataset.name = p.name;
    if (p.name === state.selected) tr.className = "selected";
    cell(tr, p.name); cell(tr, p.type); cell(tr, p.user || "—");
    cell(tr, p.status, p.status); cell(tr, p.where);
    cell(tr, String(p.curConns), "num");
    cell(tr, bytes(p.todayTrafficIn), "num"); cell(tr, bytes(p.todayTrafficOut), "num");
    cell(tr, bytes(p.totalTrafficIn), "num"); cell(tr, bytes(p.totalTrafficOut), "num");
    tr.addEventListener("click", () => {
      state.selected = p.name;
      history.replaceState(null, "", "#proxy=" + encodeURIComponent(p.name));
      renderProxies(); refreshChart();
    });
    return tr;
  });
}

// A client by its user, else the start of its run id (no users configured).
function who(user, runId) { return user || (runId ? runId.slice(0, 8) : "—"); }

function renderLive() {
  const rows = state.live.map((p) => Object.assign(
    { ownerName: who(p.owner, p.ownerRunId), visitorName: who(p.visitor, p.visitorRunId) }, p));
  $("n-live").textContent = "(" + rows.length + ")";
  fill("live", rows, (p) => {
    const tr = document.createElement("tr");
    tr.dataset.path = p.path;
    cell(tr, p.proxy); cell(tr, p.ownerName); cell(tr, p.visitorName);
    cell(tr, p.path, "path-" + p.path); cell(tr, (p.rttUs / 1000).toFixed(1) + " ms", "num");
    cell(tr, since(Math.floor(p.sinceMs / 1000)));
    return tr;
  });
}

function renderPairs() {
  $("n-p2p").textContent = "(" + state.pairs.length + ")";
  fill("p2p", state.pairs, (p) => {
    const tr = document.createElement("tr");
    cell(tr, p.proxy); cell(tr, p.visitor || "—"); cell(tr, since(p.offeredAt));
    cell(tr, p.outcome); cell(tr, p.relay ? "yes" : "no"); cell(tr, p.path);
    return tr;
  });
}

function drawChart(t) {
  const cv = $("chart"), ctx = cv.getContext("2d");
  const w = cv.width = cv.clientWidth * (window.devicePixelRatio || 1);
  const h = cv.height = 200 * (window.devicePixelRatio || 1);
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...t.minuteIn, ...t.minuteOut);
  const n = t.minuteIn.length, pad = 4 * (window.devicePixelRatio || 1);
  const style = getComputedStyle(document.documentElement);
  for (const [series, color] of [[t.minuteIn, style.getPropertyValue("--in")], [t.minuteOut, style.getPropertyValue("--out")]]) {
    ctx.beginPath();
    series.forEach((v, i) => {
      const x = pad + (w - 2 * pad) * i / (n - 1), y = h - pad - (h - 2 * pad) * v / max;
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.strokeStyle = color.trim() || "#000";
    ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
    ctx.stroke();
  }
  ctx.fillStyle = "#6b7385";
  ctx.font = 12 * (window.devicePixelRatio || 1) + "px sans-serif";
  ctx.fillText("max " + bytes(max) + "/min", pad * 2, pad * 5);
}

async function refreshChart() {
  if (!state.selected) return;
  try {
    const t = await getJSON("/api/traffic/" + encodeURIComponent(state.selected));
    $("chart-box").hidden = false;
    $("chart-title").textContent = t.name + " — last hour";
    drawChart(t);
  } catch (e) {
    $("chart-box").hidden = true;
  }
}

async function poll() {
  try {
    const [info, clients, proxies, p2p] = await Promise.all([
      getJSON("/api/serverinfo"), getJSON("/api/clients"), getJSON("/api/proxies"), getJSON("/api/p2p")]);
    $("summary").textContent = "v" + info.version + " · up " + duration(info.uptime) + " · " +
      info.clientCounts + " clients · " + Object.values(info.proxyTypeCount).reduce((a, b) => a + b, 0) +
      " proxies · " + info.curConns + " connections · today " + bytes(info.totalTrafficIn) + " in, " +
      bytes(info.totalTrafficOut) + " out";
    state.clients = clients.clients; state.proxies = proxies.proxies; state.pairs = p2p.pairs;
    state.live = p2p.live;
    renderClients(); renderProxies(); renderLive(); renderPairs();
    await refreshChart();
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    $("status").textContent = "update failed: " + e.message;
  }
}

function sortable(table, render) {
  for (const th of $(table).querySelectorAll("th")) {
    th.addEventListener("click", () => {
      const [key, dir] = state.sort[table];
      state.sort[table] = [th.dataset.key, key === th.dataset.key ? -dir : 1];
      render();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  sortable("clients", renderClients);
  sortable("proxies", renderProxies);
  sortable("p2p", renderPairs);
  sortable("live", renderLive);
  $("search").addEventListener("input", renderProxies);
  // #proxy=NAME opens that proxy's chart (a link to share, or to bookmark).
  const m = location.hash.match(/^#proxy=(.+)$/);
  if (m) state.selected = decodeURIComponent(m[1]);
  poll();
  setInterval(poll, POLL_MS);
});

// burrow inspector page: lists recorded exchanges (polling the JSON API),
// shows one in detail, replays it (as captured or edited) and shows the
// new response beside the old one. No external code; same origin only.
"use strict";
const api = location.origin + "/api/requests";
let selected = null, lastId = 0, rows = [];

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k.nodeType ? k : String(k));
  return e;
}
const fmtSize = n => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
const fmtDur = us => us < 1000 ? us + " µs" : us < 1e6 ? (us / 1000).toFixed(1) + " ms" : (us / 1e6).toFixed(2) + " s";

function query() {
  const p = new URLSearchParams();
  for (const k of ["method", "path", "status", "q"]) {
    const v = document.getElementById("f-" + k).value.trim();
    if (v) p.set(k, v);
  }
  p.set("limit", "500");
  return p.toString();
}

async function refresh() {
  let j;
  try { j = await (await fetch(api + "?" + query())).json(); } catch (e) { return; }
  document.getElementById("summary").textContent =
    `${j.stored} stored · ${j.evicted} evicted · ${fmtSize(j.bytes)} of ${fmtSize(j.max_bytes)}`;
  rows = j.requests;
  const tb = document.querySelector("#requests tbody");
  tb.replaceChildren(...rows.map(r => {
    const tr = el("tr", { "data-id": r.id, onclick: () => show(r.id) },
      el("td", {}, r.id, r.replay_of ? el("span", { class: "replay-tag" }, " ↻" + r.replay_of) : null),
      el("td", {}, new Date(r.start_ms).toLocaleTimeString()),
      el("td", {}, r.method),
      el("td", { class: "path", title: r.target }, r.target),
      el("td", { class: "s" + String(r.status)[0] }, r.status || (r.complete ? "" : "—")),
      el("td", {}, fmtDur(r.duration_us)),
      el("td", {}, fmtSize(r.resp_size)));
    if (r.id === selected) tr.classList.add("sel");
    return tr;
  }));
  lastId = j.last_id;
}

function pretty(body) {
  if (body.encoding === "base64") return "(binary, base64)\n" + body.data;
  const ct = (body.content_type || "").toLowerCase();
  if (ct.includes("json")) { try { return JSON.stringify(JSON.parse(body.data), null, 2); } catch (e) { } }
  if (ct.includes("x-www-form-urlencoded")) {
    try { return [...new URLSearchParams(body.data)].map(([k, v]) => k + " = " + v).join("\n"); } catch (e) { }
  }
  return body.data;
}

function sideView(title, side, extra) {
  if (!side) return el("div", {}, el("h3", {}, title), el("p", { class: "hint" }, "no response"));
  const b = side.body;
  return el("div", {}, el("h3", {}, title, extra || ""),
    el("table", { class: "hdrs" }, ...side.headers.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, v)))),
    el("h4", {}, `Body (${fmtSize(b.size)}${b.content_type ? ", " + b.content_type : ""})`),
    b.truncated ? el("p", { class: "warn" }, `truncated: ${fmtSize(b.kept)} of ${fmtSize(b.size)} kept`) : null,
    el("pre", { class: "body" }, pretty(b)));
}

async function fetchEx(id) {
  const r = await fetch(api + "/" + id);
  return r.ok ? r.json() : null;
}

async function show(id) {
  selected = id;
  document.querySelectorAll("#requests tr.sel").forEach(t => t.classList.remove("sel"));
  const tr = document.querySelector(`#requests tr[data-id="${id}"]`);
  if (tr) tr.classList.add("sel");
  const ex = await fetchEx(id);
  const d = document.getElementById("detail");
  if (!ex) { d.replaceChildren(el("p", { class: "hint" }, "gone from the ring")); return; }
  const raw = el("pre", { class: "raw", hidden: "" });
  const out = el("div", { class: "replay-out" });
  d.replaceChildren(
    el("h2", {}, `${ex.method} ${ex.target}`),
    el("p", {}, `#${ex.id} · ${ex.proxy} · from ${ex.src || "?"} · ${new Date(ex.start_ms).toLocaleString()} · ${fmtDur(ex.duration_us)}`,
      ex.replay_of ? ` · replay of #${ex.replay_of}` : "", ex.complete ? "" : " · incomplete"),
    el("button", { id: "replay", onclick: () => replay(ex, null, out) }, "Replay"),
    el("button", { id: "edit", onclick: () => editForm(ex, out) }, "Edit and replay"),
    el("button", { onclick: async () => { raw.textContent = await (await fetch(api + "/" + id + "/raw")).text(); raw.hidden = !raw.hidden; } }, "Raw"),
    raw,
    el("div", { class: "cols" }, sideView("Request", ex.request), sideView("Response " + (ex.status || ""), ex.response)),
    out);
}

function editForm(ex, out) {
  const hdrs = ex.request.headers.filter(([k]) => !/^(content-length|transfer-encoding|connection)$/i.test(k));
  const m = el("input", { value: ex.method, size: 8 }), t = el("input", { value: ex.target, size: 40 });
  const h = el("textarea", {}); h.value = hdrs.map(([k, v]) => k + ": " + v).join("\n");
  const b = el("textarea", {}); b.value = ex.request.body.encoding === "text" ? ex.request.body.data : "";
  out.replaceChildren(el("h3", {}, "Edit"), m, " ", t, el("h4", {}, "Headers"), h, el("h4", {}, "Body"), b,
    el("button", { id: "send", onclick: () => {
      const headers = h.value.split("\n").filter(l => l.includes(":")).map(l => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]);
      replay(ex, { method: m.value, target: t.value, headers, body: b.value }, out);
    } }, "Send"));
}

async function replay(ex, edit, out) {
  out.replaceChildren(el("p", { class: "hint" }, "replaying…"));
  const r = await fetch(api + "/" + ex.id + "/replay", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: edit ? JSON.stringify(edit) : "" });
  const j = await r.json();
  if (!r.ok) { out.replaceChildren(el("p", { class: "warn" }, "replay refused: " + j.error)); return; }
  for (let i = 0; i < 120; i++) {
    const nx = await fetchEx(j.id);
    if (nx) {
      out.replaceChildren(el("h3", {}, `Replay #${nx.id}: ${nx.status || "no response"} in ${fmtDur(nx.duration_us)}`),
        el("div", { class: "cols replay-cols" }, sideView("Before: response " + ex.status, ex.response),
          sideView("After: response " + nx.status, nx.response)));
      refresh();
      return;
    }
    await new Promise(res => setTimeout(res, 100));
  }
  out.replaceChildren(el("p", { class: "warn" }, "no answer recorded for replay #" + j.id));
}

document.getElementById("filters").addEventListener("input", refresh);
document.getElementById("filters").addEventListener("submit", e => { e.preventDefault(); refresh(); });
setInterval(() => { if (document.getElementById("f-live").checked) refresh(); }, 1000);
refresh().then(() => { const m = location.hash.match(/^#(\d+)$/); if (m) show(+m[1]); });

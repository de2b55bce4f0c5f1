// What every page shares: the API call with this run's token, small DOM helpers,
// messages, polling, a drop zone and an SVG line chart. No library, nothing remote.
"use strict";

const TOKEN = document.querySelector('meta[name="studio-token"]').content;

// fetch JSON; a refusal or error becomes an Error whose message is the server's one line.
async function api(url, body, method) {
  const opts = {method: method || (body === undefined ? "GET" : "POST"), headers: {}};
  if (opts.method !== "GET") opts.headers["X-Studio-Token"] = TOKEN;
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) throw new Error((data && data.error) || `${r.status} ${r.statusText}`);
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

const $ = (sel) => document.querySelector(sel);

function toast(message, bad) {
  const t = el("div", {class: "toast" + (bad ? " bad" : "")}, message);
  $("#toasts").append(t);
  setTimeout(() => t.remove(), bad ? 9000 : 4000);
}

// Run fn now and every ms milliseconds while keep() is true; errors are shown, not thrown.
function poll(fn, ms, keep) {
  let timer = null;
  const tick = async () => {
    try { await fn(); } catch (e) { toast(e.message, true); }
    if (!keep || keep()) timer = setTimeout(tick, ms);
  };
  tick();
  return {stop: () => clearTimeout(timer), again: () => { clearTimeout(timer); tick(); }};
}

// A drop zone with a file chooser: onFiles(array of File) for a drop or a choice.
function dropZone(zone, onFiles) {
  const input = zone.querySelector("input[type=file]");
  zone.addEventListener("click", (e) => { if (e.target !== input) input.click(); });
  input.addEventListener("change", () => { if (input.files.length) onFiles([...input.files]); input.value = ""; });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = [...e.dataTransfer.files];
    if (files.length) onFiles(files);
  });
}

function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + " %"; }

// series: [{name, color, values: [y per epoch], dashed}]; y from 0 to opts.yMax (else the largest value);
// opts.percent: the axis in percent (accuracy), else plain numbers (loss). No values: a note, no axis.
function lineChart(svg, series, opts) {
  const {yMax, percent} = opts || {};
  const W = 520, H = 200, L = 40, R = 10, T = 10, B = 26;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.innerHTML = "";
  const ns = "http://www.w3.org/2000/svg";
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
  };
  if (!series.some((s) => s.values.length)) {
    add("text", {x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty"}, "No epochs yet.");
    return;
  }
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const top = yMax || Math.max(1e-6, ...series.flatMap((s) => s.values)) * 1.1;
  const x = (i) => L + (W - L - R) * i / (n - 1);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const digits = top >= 40 ? 0 : top >= 4 ? 1 : 2;
  for (let k = 0; k <= 4; k++) {
    const v = top * k / 4;
    add("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e7ee"});
    add("text", {x: L - 6, y: y(v) + 4, "text-anchor": "end"}, percent ? Math.round(v * 100) + "%" : v.toFixed(digits));
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) add("text", {x: x(i), y: H - 8, "text-anchor": "middle"}, i + 1);
  for (const s of series) {
    if (!s.values.length) continue;
    const pts = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
    add("polyline", {points: pts, fill: "none", stroke: s.color, "stroke-width": 2.5,
                     "stroke-dasharray": s.dashed ? "6 4" : "none"});
    s.values.forEach((v, i) => add("circle", {cx: x(i), cy: y(v), r: 3, fill: s.color}));
  }
}

// Confusion matrix as a table; rows: true class, columns: predicted; cells shaded by share of the row.
function confusionTable(labels, matrix) {
  const head = el("tr", {}, el("th", {class: "side", text: "true ↓  predicted →"}),
                  labels.map((l) => el("th", {text: l})));
  const rows = labels.map((l, i) => {
    const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
    return el("tr", {}, el("th", {class: "side", text: l}), matrix[i].map((v, j) => {
      const share = v / total;
      const color = i === j ? `rgba(24,134,75,${0.12 + 0.6 * share})` : (v ? `rgba(196,50,47,${0.15 + 0.6 * share})` : "#f6f8fb");
      return el("td", {style: `background:${color}`, text: v});
    }));
  });
  return el("table", {class: "matrix"}, head, rows);
}

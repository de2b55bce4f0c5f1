// Device page: boards and fit, flash with its log, live results and the camera view (polled).
"use strict";

async function loadBoards() {
  const r = await api("/api/boards");
  $("#model").replaceChildren(r.model.trained ? "Model to flash: " : "Model to flash (default, nothing trained yet): ",
    el("b", {text: r.model.name}), " · classes: " + r.model.labels.join(", "));
  const rows = r.boards.map((b, i) => el("tr", {},
    el("td", {}, el("input", {type: "radio", name: "board", value: b.name, id: "board-" + b.name,
                              checked: i === 0 ? true : null})),
    el("td", {}, el("label", {for: "board-" + b.name}, el("b", {text: b.title}))),
    el("td", {class: "fit " + (b.fits ? "yes" : "no"), text: b.fits === null ? "not checked" : b.fits ? "✔ fits" : "✘ does not fit"}),
    el("td", {class: "small muted", text: b.message.replace(/^[^:]*: (fits: )?/, "")}),
    el("td", {class: "small muted", text: b.latency_ms === null ? "" : `≈ ${b.latency_ms} ms per frame (estimate)`})));
  $("#boards").replaceChildren(...rows);
  flashable = Object.fromEntries(r.boards.map((b) => [b.name, b.flash]));
  emulated = r.emulator;
  $("#emu-board").replaceChildren(...r.emulated.map((n) => el("option", {value: n, text: n === "host" ? "host (the emulator board)" : n})));
  if (r.emulated.includes("esp32s3_eye")) $("#emu-board").value = "esp32s3_eye";
  emulatorShown(r.emulator);
}

function emulatorShown(e) {
  emulated = e;
  $("#emu-stop").disabled = !e.board;
  $("#emu-state").textContent = e.board ? `${e.board} running on ${e.port}` : "";
  flashOffered();
}

// Flash is offered only for what can take one: a board with a serial line (not host or unix),
// on a real port or the emulated qemu_m7 (the other emulated boards run the app on the host).
let flashable = {}, emulated = {}, flashRunning = false;
function flashOffered() {
  const b = board(), port = $("#port").value.trim();
  let why = "";
  if (b && flashable[b] === false) why = `${b} runs only on this computer: there is nothing to flash.`;
  else if (emulated.board && port === emulated.port && emulated.board !== "qemu_m7")
    why = `${port} is the emulated ${emulated.board}: it runs the app on this computer and takes no flash ` +
          "(only a board on a USB port, or the emulated qemu_m7, does).";
  $("#flash").disabled = flashRunning || !!why;
  $("#flash-note").textContent = why;
  $("#flash-note").classList.toggle("hidden", !why);
}

// A new board or job starts: the last one's error is no longer news.
function clearStale() {
  for (const id of ["#flash-state", "#watch-state"]) { $(id).textContent = ""; $(id).className = "status"; }
  $("#flash-log").classList.add("hidden");
}

async function emulate() {
  clearStale();
  $("#emu-start").disabled = true;
  $("#emu-state").textContent = "Starting…";
  try {
    const r = await api("/api/emulate/start", {board: $("#emu-board").value});
    $("#port").value = r.port;
    $("#camera").checked = true;
    loadPorts().catch((e) => toast(e.message, true));
    emulatorShown({board: $("#emu-board").value, port: r.port});
    watch(false);
  } catch (e) { toast(e.message, true); $("#emu-state").textContent = ""; }
  $("#emu-start").disabled = false;
}

async function unemulate() {
  try { await api("/api/emulate/stop", {}); } catch (e) { toast(e.message, true); }
  emulatorShown({});
  loadPorts().catch((e) => toast(e.message, true));
}

async function loadPorts() {
  const r = await api("/api/ports");
  $("#ports").replaceChildren(...r.ports.map((p) => el("option", {value: p.device, text: p.description})));
  const likely = r.ports.find((p) => p.likely);   // never the computer's own /dev/ttyS0
  if (!$("#port").value && likely) $("#port").value = likely.device;
  flashOffered();
}

function board() { const b = document.querySelector('input[name="board"]:checked'); return b && b.value; }

let flashing = null;
async function flash() {
  clearStale();
  try { await api("/api/flash", {board: board(), port: $("#port").value}); } catch (e) { toast(e.message, true); return; }
  flashRunning = true;
  flashOffered();
  $("#flash-cancel").classList.remove("hidden");
  $("#flash-cancel").disabled = false;
  $("#flash-log").classList.remove("hidden");
  let going = true;
  flashing = poll(async () => {
    const s = await api("/api/flash/status");
    $("#flash-log").textContent = s.log.join("\n");
    $("#flash-log").scrollTop = 1e9;
    $("#flash-state").className = "status " + s.state;
    const p = s.progress;
    $("#flash-state").textContent = s.state !== "running" ? s.message : !p ? "Flashing…" :
      `Flashing… ${p.file} ${Math.floor(100 * p.sent / p.total)}% (${p.sent.toLocaleString()} of ${p.total.toLocaleString()} bytes)`;
    if (s.state !== "running") {
      going = false;
      flashRunning = false;
      flashOffered();
      $("#flash-cancel").classList.add("hidden");
      if (s.state === "done") watch(false);   // the studio started reading the port
    }
  }, 600, () => going);
}

async function cancelFlash() {
  $("#flash-cancel").disabled = true;
  try { await api("/api/flash/cancel", {}); } catch (e) { toast(e.message, true); }
}

let watching = null, lastFrame = 0;
function watch(start) {
  if (start) clearStale();
  const go = start ? api("/api/monitor/start", {port: $("#port").value, camera: $("#camera").checked}) : Promise.resolve();
  go.then(() => {
    if (watching) watching.stop();
    $("#watch").disabled = true; $("#unwatch").disabled = false;
    let going = true;
    watching = poll(async () => {
      const s = await api("/api/monitor/status");
      going = s.state === "running";
      show(s);
      if (!going) { $("#watch").disabled = false; $("#unwatch").disabled = true; }
    }, 500, () => going);
  }).catch((e) => toast(e.message, true));
}

function show(s) {
  $("#watch-state").className = "status small " + s.state;
  $("#watch-state").textContent = s.state === "running" ? `reading ${s.port}` + (s.message ? ` · ${s.message}` : "")
    : s.message || s.state;
  const last = s.results[s.results.length - 1];
  if (last) {
    $("#live-label").textContent = last.label;
    $("#live-bar").style.width = 100 * last.confidence + "%";
    $("#live-meta").textContent = `${pct(last.confidence)} · frame ${last.frame ?? "?"}` +
      (typeof last.fps === "number" ? ` · ${last.fps.toFixed(1)} frames/s` : "");
  }
  const lines = [...s.results, ...s.lines].sort((a, b) => a.seq - b.seq).slice(-30).map((x) => x.text);
  $("#live-lines").textContent = lines.join("\n");
  $("#live-lines").scrollTop = 1e9;
  if (s.camera && s.frame && s.frame !== lastFrame) {
    lastFrame = s.frame;
    $("#view").src = "/api/monitor/frame.png?f=" + s.frame;
    $("#view").classList.remove("hidden");
  }
}

async function unwatch() {
  try { await api("/api/monitor/stop", {}); } catch (e) { toast(e.message, true); }
}

$("#flash").addEventListener("click", flash);
$("#flash-cancel").addEventListener("click", cancelFlash);
$("#port").addEventListener("input", flashOffered);
$("#boards").addEventListener("change", flashOffered);
$("#emu-start").addEventListener("click", emulate);
$("#emu-stop").addEventListener("click", unemulate);
$("#watch").addEventListener("click", () => watch(true));
$("#unwatch").addEventListener("click", unwatch);
loadBoards().catch((e) => toast(e.message, true));
loadPorts().catch((e) => toast(e.message, true));
api("/api/monitor/status").then((s) => { if (s.state === "running") { $("#port").value = s.port; watch(false); } });

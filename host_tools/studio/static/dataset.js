// Dataset page: classes with thumbnails and train's checks; upload, drop, webcam, board camera.
"use strict";

let current = null;   // the last summary from the server

const BACKGROUND = "nothing";

function target() { return $("#target").value; }
function targetSplit() { return current && current.layout === "split" ? $("#target-split").value : ""; }
// "?split=..." for a photo of a train/ + validation/ folder, "" otherwise.
function splitQuery(split, sep) { return split ? `${sep || "?"}split=${encodeURIComponent(split)}` : ""; }

async function refresh() {
  try {
    current = await api("/api/dataset");
  } catch (e) {   // say it where "Loading…" was, not only in a passing note
    $("#readiness").className = "banner bad";
    $("#readiness").textContent = e.message;
    throw e;
  }
  $("#split-row").classList.toggle("hidden", current.layout !== "split");
  $("#background-tip").classList.toggle("hidden", current.classes.some((c) => c.name === BACKGROUND));
  const keep = target();
  const sel = $("#target");
  const names = current.classes.map((c) => c.name);
  // Rebuilt only when the classes changed: an open list is not reset under the user.
  if (!names.length || names.join("\n") !== [...sel.options].map((o) => o.value).join("\n")) {
    sel.replaceChildren(...names.map((n) => el("option", {value: n, text: n})));
    if (!names.length) sel.append(el("option", {value: "", text: "(add a class first)"}));
    if (names.includes(keep)) sel.value = keep;
  }
  renderReadiness();
  $("#classes").replaceChildren(...current.classes.map(renderClass));
}

function renderReadiness() {
  const b = $("#readiness");
  const issues = current.classes.filter((c) => c.problem).length;
  const flagged = current.classes.reduce((n, c) => n + c.photos.filter((p) => p.problem).length, 0);
  const total = current.classes.reduce((n, c) => n + c.count, 0);
  let text, kind;
  if (current.classes.length < 2) {
    text = "Add at least two classes, each with at least " + current.min_per_class + " photos."; kind = "warn";
  } else if (issues) {
    text = `${issues} class${issues > 1 ? "es need" : " needs"} more photos (at least ${current.min_per_class} usable each).`; kind = "warn";
  } else {
    text = `Ready to train: ${current.classes.length} classes, ${total} photos.`; kind = "ok";
  }
  if (flagged) text += ` ${flagged} photo${flagged > 1 ? "s" : ""} will be skipped by training (marked in red).`;
  b.className = "banner " + kind;
  b.replaceChildren(text, " ", ...current.notes.map((n) => el("div", {class: "small", text: n})));
}

function renderClass(c) {
  const head = el("div", {class: "class-head"},
    el("h2", {text: c.name}), el("span", {class: "count", text: `${c.count} photo${c.count === 1 ? "" : "s"}`}),
    c.problem ? el("span", {class: "problem", text: c.problem}) : null,
    el("span", {style: "margin-left:auto"}),
    el("button", {class: "link", onclick: () => renameClass(c.name)}, "Rename"),
    el("button", {class: "link danger", onclick: () => deleteClass(c.name)}, "Delete class"));
  const splits = current.layout === "split" ? current.splits : [null];
  const parts = splits.map((split) => {
    const mine = c.photos.filter((p) => p.split === split);
    const thumbs = el("div", {class: "thumbs", "data-split": split || ""}, mine.map((p) => thumb(c.name, p)));
    if (!mine.length) thumbs.append(el("span", {class: "muted small", text: "No photos yet."}));
    return split ? [el("h3", {class: "small muted", text: split + "/"}), thumbs] : thumbs;
  });
  return el("section", {class: "card", "data-class": c.name}, head, parts.flat());
}

function thumb(cls, p) {
  const path = `${encodeURIComponent(cls)}/${encodeURIComponent(p.name)}${splitQuery(p.split)}`;
  return el("div", {class: "thumb" + (p.problem ? " flagged" : ""), title: p.name},
    el("a", {href: "/photo/" + path, target: "_blank", title: "open the photo"},
       el("img", {src: "/thumb/" + path, alt: p.name, loading: "lazy"})),
    el("button", {class: "del", title: "Delete this photo", onclick: () => deletePhoto(cls, p.name, p.split)}, "×"),
    p.problem ? el("div", {class: "why", text: p.problem}) : null);
}

async function act(fn) {
  try { await fn(); } catch (e) { toast(e.message, true); }
  await refresh();
}

function renameClass(name) {
  const card = document.querySelector(`section[data-class="${CSS.escape(name)}"] .class-head`);
  const input = el("input", {type: "text", value: name, maxlength: 64, "aria-label": "new name"});
  const save = el("button", {class: "primary", onclick: () => act(async () => {
    await api("/api/class/rename", {class: name, new: input.value});
    toast(`Renamed ${name} to ${input.value}`);
  })}, "Save");
  card.replaceChildren(input, save, el("button", {onclick: refresh}, "Cancel"));
  input.focus();
}

function deleteClass(name) {
  if (!confirm(`Delete the class "${name}" and all its photos?`)) return;
  act(() => api("/api/class/delete", {class: name}));
}

function deletePhoto(cls, name, split) {
  act(() => api("/api/photo/delete", split ? {class: cls, name, split} : {class: cls, name}));
}

async function upload(files, cls) {
  cls = cls || target();
  if (!cls) { toast("Add a class first, then its photos.", true); return; }
  const form = new FormData();
  for (const f of files) form.append("photos", f, f.name || "photo.png");
  try {
    const r = await api("/api/photo/upload?class=" + encodeURIComponent(cls) + splitQuery(targetSplit(), "&"), form);
    const where = targetSplit() ? `${targetSplit()}/${cls}` : cls;
    if (r.saved.length) toast(`${r.saved.length} photo${r.saved.length > 1 ? "s" : ""} added to ${where}`);
    for (const m of r.refused) toast(m, true);
  } catch (e) { toast(e.message, true); }
  await refresh();
}

// --- webcam -------------------------------------------------------------------------
let stream = null;

async function camOn() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: false});
  } catch (e) { toast("The webcam is not available: " + e.message, true); return; }
  const v = $("#video");
  v.srcObject = stream;
  v.classList.remove("hidden");
  $("#cam-shot").disabled = false; $("#cam-off").disabled = false; $("#cam-on").disabled = true;
}

function camOff() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $("#video").classList.add("hidden");
  $("#cam-shot").disabled = true; $("#cam-off").disabled = true; $("#cam-on").disabled = false;
}

function camShot() {
  const v = $("#video");
  const canvas = el("canvas", {width: v.videoWidth, height: v.videoHeight});
  canvas.getContext("2d").drawImage(v, 0, 0);
  canvas.toBlob((blob) => upload([new File([blob], "webcam.png", {type: "image/png"})]), "image/png");
}

// --- board camera ---------------------------------------------------------------------
let capturing = null;

async function captureGo() {
  try {
    await api("/api/capture", {class: target(), port: $("#cap-port").value,
                               count: +$("#cap-count").value, every: +$("#cap-every").value});
  } catch (e) { toast(e.message, true); return; }
  $("#cap-go").disabled = true;
  $("#cap-cancel").classList.remove("hidden");
  $("#cap-cancel").disabled = false;
  let last = -1;
  capturing = poll(async () => {
    const s = await api("/api/capture/status");
    $("#cap-status").replaceChildren(el("span", {class: "status " + s.state, text: s.state === "running" ? `${s.done} of ${s.count}` : s.message}));
    if (s.done !== last) { last = s.done; await refresh(); }
    if (s.state !== "running") {
      $("#cap-go").disabled = false;
      $("#cap-cancel").classList.add("hidden");
      if (s.state === "failed") toast(s.message, true);
      capturing.stop();
      await refresh();
    }
  }, 700);
}

async function ports() {
  const r = await api("/api/ports");
  $("#ports").replaceChildren(...r.ports.map((p) => el("option", {value: p.device, text: p.description})));
  const likely = r.ports.find((p) => p.likely);   // never the computer's own /dev/ttyS0
  if (!$("#cap-port").value && likely) $("#cap-port").value = likely.device;
}

$("#add-background").addEventListener("click", () => {
  $("#new-class").value = BACKGROUND;
  $("#add-class").click();
});
$("#add-class").addEventListener("click", () => act(async () => {
  const name = $("#new-class").value;
  await api("/api/class/add", {class: name});
  $("#new-class").value = "";
  await refresh();
  $("#target").value = name.trim();
}));
$("#new-class").addEventListener("keydown", (e) => { if (e.key === "Enter") $("#add-class").click(); });
dropZone($("#drop"), (files) => upload(files));
$("#cam-on").addEventListener("click", camOn);
$("#cam-off").addEventListener("click", camOff);
$("#cam-shot").addEventListener("click", camShot);
$("#cap-go").addEventListener("click", captureGo);
$("#cap-cancel").addEventListener("click", async () => {
  $("#cap-cancel").disabled = true;
  try { await api("/api/capture/cancel", {}); } catch (e) { toast(e.message, true); }
});
refresh().catch((e) => toast(e.message, true));
ports().catch((e) => toast(e.message, true));

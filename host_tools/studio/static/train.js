// Train page: start, cancel, live epochs and curves (polled), the report when done.
"use strict";

let shownReport = null;

function charts(epochs) {
  const col = (k) => epochs.map((e) => e[k]).filter((v) => v !== undefined);
  lineChart($("#acc-chart"), [
    {name: "training", color: "#2f6fde", values: col("accuracy")},
    {name: "held out", color: "#18864b", values: col("val_accuracy")}], {yMax: 1, percent: true});
  lineChart($("#loss-chart"), [
    {name: "training", color: "#2f6fde", values: col("loss")},
    {name: "held out", color: "#18864b", values: col("val_loss")}], {percent: false});
}

function figures(r) {
  const fig = (value, caption) => el("div", {class: "figure"}, el("div", {class: "big", text: value}),
                                     el("div", {class: "muted", text: caption}));
  const caption = r.honest_words ? `correct on the ${r.honest_images} ${r.honest_words} (int8, as on the board)`
    : `correct on ${r.validation_images} held-out photos (int8, as on the board)`;
  $("#figures").replaceChildren(
    fig(pct(r.honest_accuracy), caption),
    fig(pct(r.float_accuracy), "before int8 conversion, all held-out photos"),
    fig((r.model_bytes / 1024).toFixed(0) + " KB", "model size"),
    fig(r.labels.join(", "), "classes"));
  const bursts = r.bursts && r.bursts.groups
    ? ` ${r.bursts.photos} photos were near-copies of another one (${r.bursts.groups} bursts); each burst was kept whole on one side.`
    : "";
  $("#honesty").textContent = `${r.near_copies} of the ${r.validation_images} held-out photos were near-copies ` +
    `of training photos${r.near_copies ? ` (with them: ${pct(r.int8_accuracy)}, a figure that flatters)` : ""}.${bursts}`;
  $("#advice").textContent = r.advice;
}

async function update() {
  const s = await api("/api/train/status");
  const running = s.state === "running" || s.state === "cancelling";
  $("#start").disabled = running;
  $("#cancel").disabled = s.state !== "running";
  const words = {idle: s.model_ready ? "A trained model is ready." : "Not trained yet.",
                 running: s.stage, cancelling: "Cancelling…", done: "Done.",
                 failed: "Failed: " + s.message, cancelled: "Cancelled: the photos and the earlier model are unchanged."};
  $("#state").className = "status " + s.state;
  $("#state").textContent = words[s.state] || s.state;
  const total = s.options.epochs || 0, done = s.epochs.length;
  const finished = s.state === "done";   // an early stop ends the run too: the bar is full
  $("#progress").style.width = (finished ? 100 : total ? 100 * done / total : 0) + "%";
  const stopped = finished && s.report && s.report.stopped_early;
  $("#progress-text").textContent = stopped ? `${stopped} · ${Math.round(s.elapsed)} s`
    : total ? `epoch ${done} of ${total} · ${Math.round(s.elapsed)} s` : "";
  charts(s.epochs);
  $("#log").textContent = s.log.join("\n");
  if (s.state === "done" && s.report) {
    figures(s.report);
    $("#result").classList.remove("hidden");
    if (shownReport !== s.elapsed) { shownReport = s.elapsed; $("#report").src = "/report?t=" + Date.now(); }
  } else if (s.state === "idle" && s.model_ready && shownReport === null) {
    shownReport = 0;
    $("#result").classList.remove("hidden");
    $("#figures").replaceChildren(el("p", {class: "muted", text: "The last model trained here:"}));
    $("#report").src = "/report";
  } else if (running) {
    $("#result").classList.add("hidden");
  }
  return running;
}

let watching = null;
function watch() {
  if (watching) watching.stop();
  let running = true;
  watching = poll(async () => { running = await update(); }, 1000, () => running);
}

// The epochs field follows the network's default until the user types another number.
let epochsEdited = false;
$("#epochs").addEventListener("input", () => { epochsEdited = true; });
$("#arch").addEventListener("change", () => {
  if (!epochsEdited) $("#epochs").value = $("#epochs").dataset[$("#arch").value];
});

$("#start").addEventListener("click", async () => {
  try {
    await api("/api/train/start", {arch: $("#arch").value, epochs: +$("#epochs").value, grayscale: $("#gray").checked});
    shownReport = null;
    watch();
  } catch (e) { toast(e.message, true); }
});
$("#cancel").addEventListener("click", async () => {
  try { await api("/api/train/cancel", {}); } catch (e) { toast(e.message, true); }
});
watch();

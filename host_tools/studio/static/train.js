// Train page: start, cancel, live epochs and curves (polled), the report when done.
"use strict";

let shownReport = null;

function charts(epochs) {
  const col = (k) => epochs.map((e) => e[k]).filter((v) => v !== undefined);
  lineChart($("#acc-chart"), [
    {name: "training", color: "#2f6fde", values: col("accuracy")},
    {name: "held out", color: "#18864b", values: col("val_accuracy")}], 1);
  lineChart($("#loss-chart"), [
    {name: "training", color: "#2f6fde", values: col("loss")},
    {name: "held out", color: "#18864b", values: col("val_loss")}]);
}

function figures(r) {
  const fig = (value, caption) => el("div", {class: "figure"}, el("div", {class: "big", text: value}),
                                     el("div", {class: "muted", text: caption}));
  $("#figures").replaceChildren(
    fig(pct(r.int8_accuracy), `correct on ${r.validation_images} held-out photos (int8, as on the board)`),
    fig(pct(r.float_accuracy), "before int8 conversion"),
    fig((r.model_bytes / 1024).toFixed(0) + " KB", "model size"),
    fig(r.labels.join(", "), "classes"));
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
  $("#progress").style.width = (total ? 100 * done / total : 0) + "%";
  $("#progress-text").textContent = total ? `epoch ${done} of ${total} · ${Math.round(s.elapsed)} s` : "";
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

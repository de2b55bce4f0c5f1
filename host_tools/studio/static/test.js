// Test page: dropped photos classified by the device-exact engine; a labelled folder evaluated.
"use strict";

async function showModel() {
  const m = await api("/api/model");
  $("#model").replaceChildren(
    m.trained ? "Model trained here: " : "No model trained yet; using the default person / non-person model: ",
    el("b", {text: m.name}), " · classes: " + m.labels.join(", "));
}

async function classify(files) {
  const form = new FormData();
  for (const f of files) form.append("photos", f, f.name || "photo.png");
  let r;
  try { r = await api("/api/classify", form); } catch (e) { toast(e.message, true); return; }
  const rows = r.results.map((res, i) => {
    const img = el("img", {src: URL.createObjectURL(files[i]), alt: ""});
    if (res.error) return el("div", {class: "result"}, img, el("div", {class: "problem", text: res.error}));
    const others = Object.entries(res.scores).filter(([l]) => l !== res.label)
      .map(([l, v]) => `${l} ${pct(v)}`).join(" · ");
    return el("div", {class: "result", "data-label": res.label, "data-confidence": res.confidence}, img,
      el("div", {style: "flex:1"},
        el("div", {}, el("span", {class: "label", text: res.label}), "  ", el("span", {text: pct(res.confidence)})),
        el("div", {class: "bar green"}, el("i", {style: `width:${100 * res.confidence}%`})),
        el("div", {class: "muted small", text: res.name + (others ? " · " + others : "")})));
  });
  $("#results").prepend(...rows);
}

async function evaluate() {
  const button = $("#evaluate");
  button.disabled = true;
  $("#evaluation").replaceChildren(el("p", {class: "muted", text: "Classifying every photo…"}));
  try {
    const r = await api("/api/evaluate", {folder: $("#folder").value});
    const perClass = el("table", {},
      el("tr", {}, el("th", {text: "class"}), el("th", {text: "photos"}), el("th", {text: "found (recall)"}),
         el("th", {text: "right when said (precision)"})),
      r.labels.filter((l) => r.per_class[l].support).map((l) => el("tr", {},
        el("td", {text: l}), el("td", {text: r.per_class[l].support}),
        el("td", {text: pct(r.per_class[l].recall)}), el("td", {text: pct(r.per_class[l].precision)}))));
    $("#evaluation").replaceChildren(
      el("p", {}, el("span", {class: "big", text: pct(r.accuracy)}), ` correct (${r.correct} of ${r.images} photos)`),
      perClass, el("h2", {style: "margin-top:14px", text: "Confusion matrix"}), confusionTable(r.labels, r.confusion),
      ...r.skipped.map((s) => el("div", {class: "problem", text: "skipped " + s})));
  } catch (e) {
    $("#evaluation").replaceChildren(el("p", {class: "problem", text: e.message}));
  }
  button.disabled = false;
}

dropZone($("#drop"), classify);
$("#evaluate").addEventListener("click", evaluate);
showModel().catch((e) => toast(e.message, true));

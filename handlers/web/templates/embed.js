/* attention-bot badges: put <div data-attention-id="doi:10.1038/nature12373"></div> where the
   badge goes and load this script once (async). Optional: data-attention-style="bar|number".
   Elements added later (Angular, Turbolinks, an id that changes) are filled in too. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? script.src.replace(/embed\.js(?:[?#].*)?$/, "") : "/";

  function pathOf(id) {
    var text = String(id).trim();
    var scheme, value;
    if (/^https?:\/\//i.test(text)) {
      scheme = "url"; value = text;
    } else if (/^10\./.test(text)) {
      scheme = "doi"; value = text;
    } else {
      var colon = text.indexOf(":");
      if (colon < 1) { return null; }
      scheme = text.slice(0, colon).toLowerCase();
      value = text.slice(colon + 1);
      if (scheme === "ark") { value = value.replace(/^\/+/, ""); }
    }
    if (!value) { return null; }
    if (scheme === "url") { return "url/" + encodeURIComponent(value); }
    return scheme + "/" + value.split("/").map(encodeURIComponent).join("/");
  }

  function fill(el) {
    var id = el.getAttribute("data-attention-id") || "";
    if (el.getAttribute("data-attention-done") === id) { return; }
    if (el.hasAttribute("data-attention-done")) { el.textContent = ""; }
    el.setAttribute("data-attention-done", id);
    var path = pathOf(id);
    if (!path) { return; }
    var style = el.getAttribute("data-attention-style") || "donut";
    var link = document.createElement("a");
    link.href = base + "items/" + path;
    var img = document.createElement("img");
    img.src = base + "badge/" + path + ".svg?style=" + encodeURIComponent(style);
    img.alt = "Attention score";
    img.setAttribute("loading", "lazy");
    link.appendChild(img);
    el.appendChild(link);
    fetch(base + "badge/" + path + ".json", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (facts) {
        if (!facts) { return; }
        img.alt = facts.label;
        link.title = facts.label;
        if (!facts.known) { link.removeAttribute("href"); }
      })
      .catch(function () { /* the badge image still shows the score */ });
  }

  function run() {
    var found = document.querySelectorAll("[data-attention-id]");
    for (var i = 0; i < found.length; i++) { fill(found[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
  if (window.MutationObserver) {
    new MutationObserver(run).observe(document.documentElement, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["data-attention-id"]
    });
  }
})();

// Shows the encoding and segment count under the campaign body while it is typed (measured by the server).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.querySelector("textarea[name=body]");
    if (!body) { return; }
    var note = document.createElement("div");
    note.className = "help sms-segments";
    body.parentNode.appendChild(note);
    var base = window.location.pathname.replace(/(add|\d+\/change)\/$/, "");
    var timer = null;
    function measure() {
      fetch(base + "measure/?body=" + encodeURIComponent(body.value), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (d) { note.textContent = d.error ? d.error : d.encoding + " · " + d.segments + " segment(s)"; }
        });
    }
    body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(measure, 300); });
    measure();
  });
})();

// Shows the encoding and segment count under the campaign body while it is typed (measured by the server with
// the shop's opt-out language, each name counted as 10 characters: the body's quoted size, while each message
// is charged its own rendered text; a superuser's chosen shop or the opened campaign name the shop).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.querySelector("textarea[name=body]");
    if (!body) { return; }
    var note = document.createElement("div");
    note.className = "help sms-segments";
    body.parentNode.appendChild(note);
    var base = window.location.pathname.replace(/(add|\d+\/change)\/$/, "");
    var opened = window.location.pathname.match(/(\d+)\/change\/$/);
    var shop = document.querySelector("select[name=shop]");
    var timer = null;
    function measure() {
      var query = "body=" + encodeURIComponent(body.value) + (opened ? "&campaign=" + opened[1] : "") +
        (shop && shop.value ? "&shop=" + encodeURIComponent(shop.value) : "");
      fetch(base + "measure/?" + query, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (d) { note.textContent = d.error ? d.error : (body.value.length + " characters. " + d.words); }
        });
    }
    body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(measure, 300); });
    if (shop) { shop.addEventListener("change", measure); }
    measure();
  });
})();

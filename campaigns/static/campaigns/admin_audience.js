// The audience picker's live count: while the merchant types the tags of "Send to", the server says how many
// contacts the campaign would text now (the merchant's shop only; a superuser's chosen shop or the opened
// campaign name the shop). Asked 300 ms after the last keystroke; an answer to an older text is ignored.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[name=audience]");
    if (!input) { return; }
    var note = document.createElement("div");
    note.className = "help sms-audience-count";
    note.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(note);
    var base = window.location.pathname.replace(/(add|\d+\/change)\/$/, "");
    var opened = window.location.pathname.match(/(\d+)\/change\/$/);
    var shop = document.querySelector("select[name=shop]");
    var timer = null, asked = 0;
    function count() {
      var mine = ++asked;
      var query = "tags=" + encodeURIComponent(input.value) + (opened ? "&campaign=" + opened[1] : "") +
        (shop && shop.value ? "&shop=" + encodeURIComponent(shop.value) : "");
      fetch(base + "audience-count/?" + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (d) {
          if (mine !== asked) { return; }
          note.dataset.count = d.error ? "" : d.count;
          note.textContent = d.error ? d.error : d.words;
        })
        .catch(function () { if (mine === asked) { note.textContent = ""; } });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 300); });
    if (shop) { shop.addEventListener("change", count); }
    count();
  });
})();

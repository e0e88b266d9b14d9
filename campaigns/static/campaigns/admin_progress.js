// Refreshes a campaign's detail page from the admin's status view: every few seconds while it sends, is
// scheduled or paused, and afterwards while sent messages still await their delivery reports (the server
// says so in display.refresh), so the final state and late reports show without reloading.
(function () {
  "use strict";
  function width(part, total) { return total ? (100 * part / total).toFixed(1) + "%" : "0%"; }
  function text(selector, value) {
    var node = document.querySelector(selector);
    if (node && value !== undefined) { node.textContent = value; }
  }
  function paint(box, data) {
    var c = data.campaign, m = data.metrics, d = data.display;
    box.querySelector(".sms-delivered").style.width = width(c.delivered, c.total);
    box.querySelector(".sms-sent").style.width = width(Math.max(c.sent - c.delivered, 0), c.total);
    box.querySelector(".sms-failed").style.width = width(c.failed, c.total);
    box.querySelector(".sms-cancelled").style.width = width(m.cancelled, c.total);
    text("#sms-counters .sms-percent", d.percent);
    text("#sms-counters .sms-state", d.state);
    text("#sms-counters .sms-results", d.results);
    var values = Object.assign({total: c.total}, m);
    document.querySelectorAll("[data-counter]").forEach(function (cell) {
      cell.textContent = values[cell.dataset.counter];
    });
    document.getElementById("sms-counters").dataset.refresh = d.refresh ? "1" : "";
  }
  function refresh(box) {
    fetch("../status/", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) { paint(box, data); }
        if (!data || data.display.refresh) { setTimeout(function () { refresh(box); }, 3000); }
      })
      .catch(function () { setTimeout(function () { refresh(box); }, 10000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("#sms-counters .sms-progress");
    if (box && /\/change\/$/.test(window.location.pathname)) { refresh(box); }
  });
})();

// Refreshes the counters of a campaign's detail page every few seconds from the admin's status view.
(function () {
  "use strict";
  function width(part, total) { return total ? (100 * part / total).toFixed(1) + "%" : "0%"; }
  function paint(box, data) {
    var c = data.campaign, m = data.metrics;
    box.querySelector(".sms-delivered").style.width = width(c.delivered, c.total);
    box.querySelector(".sms-sent").style.width = width(Math.max(c.sent - c.delivered, 0), c.total);
    box.querySelector(".sms-failed").style.width = width(c.failed, c.total);
    box.parentNode.querySelector(".sms-percent").textContent = width(c.processed, c.total).replace(".0%", "%");
    var values = Object.assign({total: c.total}, m);
    document.querySelectorAll("[data-counter]").forEach(function (cell) {
      cell.textContent = values[cell.dataset.counter];
    });
  }
  function refresh(box) {
    fetch("../status/", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        paint(box, data);
        if (["sending", "scheduled", "paused"].indexOf(data.campaign.status) >= 0) {
          setTimeout(function () { refresh(box); }, 3000);
        }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("#sms-counters .sms-progress");
    if (box && /\/change\/$/.test(window.location.pathname)) { refresh(box); }
  });
})();

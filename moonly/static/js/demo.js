/* The demo console's few lines of script. htmx (static/vendor) does the rest: it polls
   /demo/live, swaps in what the server rendered, and posts the console's forms. */
(function () {
  "use strict";

  var status = document.getElementById("live-status");

  function setLive(state, text) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.querySelector(".live-text").textContent = text;
  }

  function fromPoller(event) {
    return event.detail && event.detail.elt && event.detail.elt.id === "poller";
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!fromPoller(event)) return;
    if (event.detail.successful) setLive("ok", "Live: follows new signups by itself");
    else setLive("error", "Reconnecting…");
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (fromPoller(event)) setLive("error", "Reconnecting…");
  });

  /* After a console button, move focus to what it did (the button itself is gone). */
  document.addEventListener("htmx:afterSettle", function (event) {
    if (fromPoller(event)) return;
    var result = document.getElementById("action-result");
    if (result) {
      result.setAttribute("tabindex", "-1");
      result.focus({ preventScroll: true });
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#copy-link")) return;
    var link = document.getElementById("invite-link");
    var out = document.getElementById("copy-status");
    function selectIt() {
      link.focus();
      link.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      out.textContent = ok ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link.value).then(function () {
        out.textContent = "Copied";
      }, selectIt);
    } else {
      selectIt();
    }
  });
})();

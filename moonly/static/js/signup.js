/*
 * Moonly signup: copy the Cello referral code (ucc) into the hidden #ucc
 * input. The attribution library must never block or hang the signup:
 * a submit waits for it at most MoonlySignup.timeoutMs (default 1500 ms,
 * never more than 2 s), and not at all once the library has failed to load
 * (blocked, offline): its command queue will never be answered, so the form
 * goes at once and the server falls back to the invite cookie.
 */
(function () {
  "use strict";

  var DEFAULT_TIMEOUT_MS = 1500; // at most 2 s; leave room for the round trip
  var MAX_TIMEOUT_MS = 2000;
  var LIBRARY = 'script[src$="/cello-attribution.js"]';
  window.MoonlySignup = window.MoonlySignup || { timeoutMs: DEFAULT_TIMEOUT_MS };

  // Settles when the attribution library has failed to load (never when it loads).
  // The element's error event may have fired before this deferred script ran, so
  // the module is also asked for again: import() answers from the page's module
  // map, rejecting at once for a fetch that failed and waiting for one in flight.
  function libraryFailure() {
    var script = document.querySelector(LIBRARY);
    if (!script) return null;
    return new Promise(function (resolve) {
      function failed() {
        window.MoonlySignup.libraryFailed = true;
        resolve(null);
      }
      script.addEventListener("error", failed);
      try {
        import(script.src).catch(failed);
      } catch (e) {
        /* no dynamic import: the error event alone */
      }
    });
  }

  function init() {
    var form = document.getElementById("signup-form");
    if (!form) return;
    var uccInput = form.querySelector("#ucc") || document.getElementById("ucc");
    var lookup = null;
    var failure = null;

    function hasValue() {
      return !!(uccInput && uccInput.value && uccInput.value.trim());
    }

    function fill(value) {
      if (!uccInput || hasValue()) return;
      if (typeof value === "string" && value.trim()) {
        uccInput.value = value.trim();
      }
    }

    if (uccInput && typeof window.CelloAttribution === "function") {
      try {
        var p = window.CelloAttribution("getUcc");
        if (p && typeof p.then === "function") {
          lookup = Promise.resolve(p).then(
            function (value) { fill(value); return value; },
            function () { return null; }
          );
          failure = libraryFailure();
        } else {
          fill(p);
        }
      } catch (e) {
        lookup = null;
      }
    }

    function timeoutMs() {
      var cfg = window.MoonlySignup;
      var ms = cfg && Number(cfg.timeoutMs);
      var max = (cfg && Number(cfg.maxTimeoutMs)) || MAX_TIMEOUT_MS;
      if (!isFinite(ms) || ms < 0) ms = DEFAULT_TIMEOUT_MS;
      return Math.min(ms, max);
    }

    var submitting = false;

    form.addEventListener("submit", function (event) {
      if (submitting) {
        event.preventDefault();
        return;
      }
      if (hasValue() || !lookup || window.MoonlySignup.libraryFailed) return;

      event.preventDefault();
      submitting = true;

      var button = document.getElementById("signup-submit");
      if (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.textContent = "Creating account\u2026";
      }

      var timer;
      var timeout = new Promise(function (resolve) {
        timer = setTimeout(function () { resolve(null); }, timeoutMs());
      });

      var done = false;
      function finish(value) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try { fill(value); } catch (e) { /* ignore */ }
        // form.submit() skips the submit event, so this cannot loop.
        if (typeof form.submit === "function") {
          form.submit();
        } else {
          HTMLFormElement.prototype.submit.call(form);
        }
      }

      // The first to settle wins: getUcc's answer, the timeout, or the library failing.
      Promise.race(failure ? [lookup, timeout, failure] : [lookup, timeout]).then(
        finish,
        function () { finish(null); }
      );
    });

    // Restore the button if the page comes back from the back/forward cache.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      submitting = false;
      var button = document.getElementById("signup-submit");
      if (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = "Create account";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

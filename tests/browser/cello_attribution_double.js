// A test double of Cello's attribution library (cello-attribution.js), honouring the
// documented command queue: it drains window.CelloAttributionCmd, then answers every
// later command at once. getUcc answers from the `ucc` URL parameter, else from the
// `cello-referral` cookie it sets when it sees one, as the real library does.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var fromUrl = params.get("ucc");
  if (fromUrl) {
    document.cookie =
      "cello-referral=" + encodeURIComponent(fromUrl) + "; path=/; max-age=7776000; samesite=lax";
  }
  function fromCookie() {
    var found = document.cookie.match(/(?:^|; )cello-referral=([^;]*)/);
    return found ? decodeURIComponent(found[1]) : null;
  }
  function answer(cmd) {
    try {
      if (cmd.command === "getUcc") cmd.resolve(fromUrl || fromCookie());
      else if (cmd.command === "getReferrerName") cmd.resolve(params.get("referrerName"));
      else cmd.resolve(undefined);
    } catch (error) {
      cmd.reject(error);
    }
  }
  var queued = window.CelloAttributionCmd || [];
  window.CelloAttributionCmd = { push: answer };
  queued.forEach(answer);
  window.__celloDoubleLoaded = true;
})();

// Boots Cello's Referral component for the signed-in user (docs.cello.so,
// user-authentication): queue `cello.boot` on window.cello.cmd with a token from
// /cello/token. If cello.js never loads (ad blocker, offline), the queued boot simply
// never runs; nothing on the page waits for it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="moonly-cello"]');
  if (!meta) return;
  var d = meta.dataset;
  window.cello = window.cello || { cmd: [] };
  window.cello.cmd.push(function (cello) {
    return fetch(d.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("token request failed: " + response.status);
        return response.json();
      })
      .then(function (body) {
        return cello.boot({
          productId: d.productId,
          token: body.token,
          language: d.language,
          productUserDetails: { firstName: d.firstName, lastName: d.lastName, email: d.email },
        });
      })
      .catch(function (error) {
        if (window.console) console.warn("Cello Referral component not started:", error);
      });
  });
})();

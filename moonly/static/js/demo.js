/*
 * Moonly referral demo console (templates/demo/console.html).
 *
 * - Invite-link builder: ucc generator, validation, copy, "open as a new visitor".
 * - Live view: polls the journeys list and the selected journey every 2 s and
 *   re-renders only what changed (open <details> and focus survive updates).
 *
 * CSP-safe: no inline code, no eval, no innerHTML. Every value that comes from
 * the API (names, emails, metadata) is written with textContent only.
 */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var FETCH_TIMEOUT_MS = 8000;
  var UCC_RE = /^[A-Za-z0-9_-]{1,64}$/;
  var ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var CELLO_EMPTY = "No Stripe events for this customer yet. They appear once Stripe sends them (for example after the first subscription).";

  var STATUS_TEXT = { done: "Done", pending: "Pending", failed: "Failed", info: "Info" };
  var ICON_PATHS = {
    done: ["m5 12.5 4.5 4.5L19 7.5"],
    pending: ["M12 7v5l3 2", "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z"],
    failed: ["M7 7l10 10", "M17 7 7 17"],
    info: []
  };

  /* ---------- small DOM helpers ---------- */

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgIcon(kind) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "status-svg");
    var paths = ICON_PATHS[kind] || [];
    if (!paths.length) {
      var dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", "12");
      dot.setAttribute("cy", "12");
      dot.setAttribute("r", "4");
      dot.setAttribute("class", "status-dot");
      svg.appendChild(dot);
    }
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  function parseDate(iso) {
    if (typeof iso !== "string" || !iso) return null;
    var d = new Date(iso);
    return isNaN(d.getTime()) ? null : d;
  }

  function hms(d) {
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }

  function dateText(d) {
    try {
      return d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
    } catch (e) {
      return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
    }
  }

  /* A <time> element: "14:03:22" plus the date, or null when there is no time. */
  function timeNode(iso, className) {
    var d = parseDate(iso);
    if (!d) return null;
    var t = el("time", className || "when");
    t.setAttribute("datetime", iso);
    t.appendChild(el("span", "when-time", hms(d)));
    t.appendChild(document.createTextNode(" "));
    t.appendChild(el("span", "when-date", dateText(d)));
    return t;
  }

  function withQuery(base, name, value) {
    return base + (base.indexOf("?") === -1 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  function asText(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
  }

  function isNested(value) {
    return value !== null && typeof value === "object";
  }

  /* A value cell: scalars as text, objects/arrays as pretty JSON in <pre>. */
  function valueNode(value) {
    if (isNested(value)) return el("pre", "json", asText(value));
    if (value === null || value === undefined) return el("span", "null-value", "null");
    if (value === "") return el("span", "null-value", "(empty)");
    if (typeof value === "boolean" || typeof value === "number") return el("code", "scalar", String(value));
    return el("span", "text-value", value);
  }

  /* ---------- state ---------- */

  var root, cfg;
  var state = {
    journeys: [],
    journeysText: null,
    selected: null,
    journeyText: null,
    journeyFor: null,
    openSteps: {},          // step identity -> true, for the selected journey
    failing: false,
    timer: null,
    polling: false,
    firstLoad: true
  };

  function announce(text) {
    var node = $("demo-announcer");
    if (!node) return;
    node.textContent = "";
    // A fresh text node after a tick makes screen readers repeat identical text.
    setTimeout(function () { node.textContent = text; }, 50);
  }

  /* ---------- 1. invite-link builder ---------- */

  function randomUcc() {
    var out = "";
    var cryptoObj = window.crypto || window.msCrypto;
    while (out.length < 11) {
      var bytes = new Uint8Array(16);
      if (cryptoObj && cryptoObj.getRandomValues) {
        cryptoObj.getRandomValues(bytes);
      } else {
        for (var j = 0; j < bytes.length; j++) bytes[j] = Math.floor(Math.random() * 256);
      }
      for (var i = 0; i < bytes.length && out.length < 11; i++) {
        if (bytes[i] < 248) out += ALNUM.charAt(bytes[i] % 62); // 248 = 4 * 62, unbiased
      }
    }
    return out;
  }

  function base64Utf8(text) {
    var bytes;
    if (window.TextEncoder) {
      bytes = new TextEncoder().encode(text);
    } else {
      bytes = [];
      var utf8 = unescape(encodeURIComponent(text));
      for (var k = 0; k < utf8.length; k++) bytes.push(utf8.charCodeAt(k));
    }
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  function buildInvite() {
    var name = $("referrer-name").value.trim();
    var ucc = $("ucc-input").value.trim();
    var pid = $("product-id").value.trim();
    var params = [];
    if (pid) params.push("productId=" + encodeURIComponent(pid));
    params.push("ucc=" + encodeURIComponent(ucc));
    if (name) {
      params.push("referrerName=" + encodeURIComponent(name));
      params.push("celloN=" + encodeURIComponent(base64Utf8(name)));
    }
    var pathAndQuery = "/?" + params.join("&");
    return { valid: UCC_RE.test(ucc), ucc: ucc, pathAndQuery: pathAndQuery,
             url: window.location.origin + pathAndQuery };
  }

  /* Grow the read-only link box to show the whole link (no inline styles: rows only). */
  function fitRows(area) {
    var rows = 1;
    area.rows = rows;
    while (area.scrollHeight > area.clientHeight + 1 && rows < 8) {
      rows += 1;
      area.rows = rows;
    }
  }

  function updateInvite() {
    var input = $("ucc-input");
    var error = $("ucc-error");
    var link = $("invite-link");
    var open = $("open-visitor");
    var copy = $("copy-link");
    var invite = buildInvite();

    if (invite.valid) {
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "ucc-hint");
      input.parentNode.parentNode.classList.remove("field-has-error");
      link.textContent = invite.url;
      link.classList.remove("is-invalid");
      fitRows(link);
      $("open-visitor-to").value = invite.pathAndQuery;
      open.disabled = false;
      copy.disabled = false;
    } else {
      error.textContent = invite.ucc
        ? "Use 1–64 letters, digits, _ or - only. The storefront ignores any other code."
        : "Enter a referral code, or press Generate.";
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "ucc-error ucc-hint");
      input.parentNode.parentNode.classList.add("field-has-error");
      link.textContent = "Fix the referral code to build a link.";
      link.classList.add("is-invalid");
      fitRows(link);
      $("open-visitor-to").value = "";
      open.disabled = true;
      copy.disabled = true;
    }
    $("copy-status").textContent = "";
  }

  function copyLink() {
    var link = $("invite-link");
    var status = $("copy-status");
    var invite = buildInvite();
    if (!invite.valid) return;

    function selectFallback() {
      link.focus();
      link.select();
      var ok = false;
      try { ok = document.execCommand && document.execCommand("copy"); } catch (e) { ok = false; }
      status.textContent = ok ? "Copied" : "Link selected: press Ctrl+C (⌘C) to copy";
    }

    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(invite.url).then(function () {
        status.textContent = "Copied";
      }, selectFallback);
    } else {
      selectFallback();
    }
  }

  function initBuilder() {
    var ucc = $("ucc-input");
    if (!ucc.value) ucc.value = randomUcc();
    ["referrer-name", "ucc-input", "product-id"].forEach(function (id) {
      $(id).addEventListener("input", updateInvite);
    });
    $("invite-form").addEventListener("submit", function (e) { e.preventDefault(); });
    $("generate-ucc").addEventListener("click", function () {
      ucc.value = randomUcc();
      updateInvite();
      announce("New referral code " + ucc.value.split("").join(" "));
    });
    $("copy-link").addEventListener("click", copyLink);
    updateInvite();
    var resizeTimer;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { fitRows($("invite-link")); }, 150);
    });
  }

  /* ---------- fetching ---------- */

  function getJSON(url) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, FETCH_TIMEOUT_MS) : null;
    return fetch(url, {
      method: "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      return res.text().then(function (text) {
        if (timer) clearTimeout(timer);
        var type = res.headers.get("Content-Type") || "";
        var data = null;
        if (type.indexOf("json") !== -1) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        return { ok: res.ok, status: res.status, text: text, data: data };
      });
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  function errorMessage(result, fallback) {
    if (result && result.data && typeof result.data.error === "string" && result.data.error) {
      return result.data.error;
    }
    if (result && result.status) return fallback + " (HTTP " + result.status + ")";
    return fallback;
  }

  /* ---------- focus preservation ---------- */

  function focusedId() {
    var a = document.activeElement;
    return a && a.getAttribute ? a.getAttribute("data-fid") : null;
  }

  function restoreFocus(fid) {
    if (!fid) return;
    var a = document.activeElement;
    if (a && a !== document.body && a.isConnected !== false && a.getAttribute("data-fid") === fid) return;
    var nodes = root.querySelectorAll("[data-fid]");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-fid") === fid) { nodes[i].focus({ preventScroll: true }); return; }
    }
  }

  /* ---------- 2. journeys list ---------- */

  function sortNewestFirst(list) {
    return list.map(function (j, i) { return { j: j, i: i }; }).sort(function (a, b) {
      var da = parseDate(a.j.created_at), db = parseDate(b.j.created_at);
      if (da && db && da.getTime() !== db.getTime()) return db.getTime() - da.getTime();
      return a.i - b.i;
    }).map(function (x) { return x.j; });
  }

  function pill(kind, label, title) {
    var span = el("span", "progress-pill progress-" + kind);
    span.appendChild(svgIcon(kind));
    span.appendChild(el("span", null, label));
    if (title) span.setAttribute("title", title);
    return span;
  }

  function progressRow(j) {
    var row = el("span", "journey-progress");
    row.appendChild(pill("done", "Signup"));
    row.appendChild(pill(j.customer_id ? "done" : "pending",
      j.customer_id ? "Customer" : "No customer yet"));
    var sub = j.subscription_status;
    var subKind = !sub ? "pending"
      : (sub === "active" || sub === "trialing") ? "done"
      : (sub === "canceled" || sub === "incomplete_expired" || sub === "unpaid") ? "failed" : "pending";
    row.appendChild(pill(subKind, sub ? "Plan: " + String(sub).replace(/_/g, " ") : "No plan yet"));
    var wh = Number(j.webhook_events) || 0;
    var ce = Number(j.cello_events) || 0;
    row.appendChild(pill(wh ? "done" : "info", wh + (wh === 1 ? " Stripe event" : " Stripe events")));
    row.appendChild(pill(ce ? "done" : "info", ce + (ce === 1 ? " Cello event" : " Cello events")));
    return row;
  }

  function journeyItem(j) {
    var li = el("li", "journey-item");
    var a = el("a", "journey-link");
    var id = String(j.user_id);
    a.setAttribute("href", withQuery(window.location.pathname, "user", id));
    a.setAttribute("data-user", id);
    a.setAttribute("data-fid", "journey:" + id);
    if (id === state.selected) a.setAttribute("aria-current", "true");

    var top = el("span", "journey-top");
    top.appendChild(el("span", "journey-name", j.name || "(no name)"));
    var referred = !!j.ucc;
    var badge = el("span", "badge " + (referred ? "badge-ok" : "badge-off"),
      referred ? "Referred" : "Not referred");
    top.appendChild(badge);
    a.appendChild(top);

    a.appendChild(el("span", "journey-email", j.email || ""));

    var meta = el("span", "journey-meta");
    var t = timeNode(j.created_at, "when");
    if (t) meta.appendChild(t);
    if (referred) {
      var code = el("span", "journey-ucc");
      code.appendChild(document.createTextNode("ucc "));
      code.appendChild(el("code", null, j.ucc));
      if (j.ucc_source) code.appendChild(document.createTextNode(" via " + j.ucc_source));
      meta.appendChild(code);
    }
    if (j.flow && cfg.flow && j.flow !== cfg.flow) {
      meta.appendChild(el("span", "journey-flow",
        j.flow === "customer_at_purchase" ? "Scenario B" : j.flow === "customer_at_signup" ? "Scenario A" : String(j.flow)));
    }
    a.appendChild(meta);
    a.appendChild(progressRow(j));
    li.appendChild(a);
    return li;
  }

  function renderJourneys() {
    var list = $("journey-list");
    var fid = focusedId();
    list.textContent = "";
    state.journeys.forEach(function (j) { list.appendChild(journeyItem(j)); });
    $("journeys-empty").hidden = state.journeys.length > 0;
    list.hidden = state.journeys.length === 0;
    list.removeAttribute("aria-busy");
    restoreFocus(fid);
  }

  function markSelected() {
    var links = $("journey-list").querySelectorAll(".journey-link");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-user") === state.selected) links[i].setAttribute("aria-current", "true");
      else links[i].removeAttribute("aria-current");
    }
  }

  function findJourney(id) {
    for (var i = 0; i < state.journeys.length; i++) {
      if (String(state.journeys[i].user_id) === id) return state.journeys[i];
    }
    return null;
  }

  function setUrlUser(id) {
    if (!window.history || !history.replaceState) return;
    var url = new URL(window.location.href);
    if (id) url.searchParams.set("user", id); else url.searchParams.delete("user");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }

  function select(id, opts) {
    id = id ? String(id) : null;
    if (id === state.selected && !(opts && opts.force)) return;
    state.selected = id;
    state.journeyText = null;
    state.journeyFor = null;
    state.openSteps = {};
    setUrlUser(id);
    markSelected();
    updateWho();
    clearDetail(id ? "Loading…" : null);
    if (id && !(opts && opts.noFetch)) {
      refreshJourney().catch(function () { setLive("error", "Reconnecting…"); });
    }
  }

  function updateWho() {
    var who = $("timeline-who");
    var j = state.selected ? findJourney(state.selected) : null;
    who.textContent = j ? " · " + (j.name || j.email || "") : "";
  }

  function applyJourneys(result) {
    var data = result.data;
    if (!data || !Array.isArray(data.journeys)) throw new Error("bad journeys payload");
    if (result.text === state.journeysText) return;
    var before = state.journeysText === null ? null : state.journeys.map(function (j) { return String(j.user_id); });
    state.journeysText = result.text;
    state.journeys = sortNewestFirst(data.journeys.filter(function (j) { return j && j.user_id !== undefined && j.user_id !== null; }));

    if (before) {
      var added = state.journeys.filter(function (j) { return before.indexOf(String(j.user_id)) === -1; });
      if (added.length === 1) announce("New signup: " + (added[0].name || added[0].email || "someone"));
      else if (added.length > 1) announce(added.length + " new signups");
    }

    // Keep the selection if it still exists, otherwise follow the newest signup.
    var sel = state.selected && findJourney(state.selected) ? state.selected : null;
    if (!sel && state.journeys.length) sel = String(state.journeys[0].user_id);
    renderJourneys();
    if (sel !== state.selected) select(sel, { noFetch: true }); // poll() fetches it next
    else updateWho();
    if (!state.journeys.length && !state.selected) clearDetail(null);
  }

  /* ---------- 3. timeline ---------- */

  function stepIdentity(step, seen) {
    var base = String(step.key || "step") + "|" + String(step.title || "");
    seen[base] = (seen[base] || 0) + 1;
    return base + "|" + seen[base];
  }

  function detailsList(details) {
    var dl = el("dl", "kv");
    Object.keys(details).forEach(function (k) {
      var row = el("div", "kv-row" + (isNested(details[k]) ? " kv-nested" : ""));
      row.appendChild(el("dt", null, k));
      var dd = el("dd");
      dd.appendChild(valueNode(details[k]));
      row.appendChild(dd);
      dl.appendChild(row);
    });
    return dl;
  }

  function advanceForm(action, identity) {
    var form = el("form", "advance-form");
    form.setAttribute("method", "post");
    form.setAttribute("action", cfg.advanceUrl);
    var csrf = el("input");
    csrf.type = "hidden"; csrf.name = "csrf_token"; csrf.value = cfg.csrf;
    var sub = el("input");
    sub.type = "hidden"; sub.name = "subscription_id"; sub.value = String(action.subscription_id || "");
    var btn = el("button", "btn btn-secondary btn-sm", action.label || "Advance");
    btn.type = "submit";
    btn.setAttribute("data-fid", "advance:" + identity + ":" + String(action.subscription_id || ""));
    form.appendChild(csrf);
    form.appendChild(sub);
    form.appendChild(btn);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      submitAdvance(form, btn);
    });
    return form;
  }

  function showActionMessage(text, isError) {
    var msg = $("action-message");
    msg.textContent = text || "";
    msg.hidden = !text;
    msg.classList.toggle("is-error", !!isError);
  }

  function submitAdvance(form, btn) {
    if (btn.getAttribute("aria-busy") === "true") return;
    btn.setAttribute("aria-busy", "true");
    showActionMessage("Working…", false);
    var body = new URLSearchParams();
    var inputs = form.querySelectorAll("input[name]");
    for (var i = 0; i < inputs.length; i++) body.append(inputs[i].name, inputs[i].value);
    fetch(cfg.advanceUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "X-CSRFToken": cfg.csrf
      },
      body: body.toString()
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = JSON.parse(text); } catch (e) { data = null; }
        if (!res.ok) {
          var m = data && typeof data.error === "string" && data.error ? data.error : "The request failed (HTTP " + res.status + ").";
          throw new Error(m);
        }
        var ok = "Done. Updating…";
        if (data && typeof data.message === "string" && data.message) ok = data.message;
        else if (data && typeof data.id === "string" && typeof data.status === "string") {
          ok = "Advanced " + data.id + ": now " + data.status.replace(/_/g, " ") + ".";
        }
        showActionMessage(ok, false);
      });
    }).catch(function (err) {
      showActionMessage(err && err.message && err.name !== "TypeError" ? err.message : "Couldn’t reach the server. Try again.", true);
    }).then(function () {
      btn.removeAttribute("aria-busy");
      refreshNow();
    });
  }

  function stepNode(step, identity) {
    var status = STATUS_TEXT[step.status] ? step.status : "info";
    var li = el("li", "tl-step tl-" + status);
    li.setAttribute("data-key", String(step.key || ""));
    li.setAttribute("data-identity", identity);

    var icon = el("span", "tl-icon");
    icon.appendChild(svgIcon(status));
    li.appendChild(icon);

    var body = el("div", "tl-body");
    var head = el("div", "tl-head");
    head.appendChild(el("h3", "tl-title", step.title || step.key || "Step"));
    var st = el("span", "tl-status tl-status-" + status);
    st.appendChild(el("span", "visually-hidden", "Status: "));
    st.appendChild(document.createTextNode(STATUS_TEXT[status]));
    head.appendChild(st);
    body.appendChild(head);

    var t = timeNode(step.at, "when tl-when");
    if (t) body.appendChild(t);
    if (step.summary) body.appendChild(el("p", "tl-summary", step.summary));

    var hasDetails = step.details && typeof step.details === "object" && !Array.isArray(step.details) &&
      Object.keys(step.details).length > 0;
    var link = typeof step.link === "string" && step.link.indexOf("https://") === 0 ? step.link : null;
    var actions = cfg.sandbox && cfg.advanceUrl && Array.isArray(step.actions)
      ? step.actions.filter(function (a) { return a && a.kind === "advance" && a.subscription_id; })
      : [];

    if (link || actions.length) {
      var bar = el("div", "tl-actions");
      if (link) {
        var a = el("a", "tl-link");
        a.href = link;
        a.target = "_blank";
        a.rel = "noopener";
        a.setAttribute("data-fid", "link:" + identity);
        a.appendChild(document.createTextNode("Open in Stripe"));
        a.appendChild(el("span", "visually-hidden", " (" + (step.title || "step") + ", opens in a new tab)"));
        bar.appendChild(a);
      }
      actions.forEach(function (action) { bar.appendChild(advanceForm(action, identity)); });
      body.appendChild(bar);
    }

    if (hasDetails) {
      var det = el("details", "tl-details");
      var sum = el("summary");
      sum.setAttribute("data-fid", "details:" + identity);
      sum.appendChild(document.createTextNode("Details"));
      sum.appendChild(el("span", "visually-hidden", " of " + (step.title || "this step")));
      det.appendChild(sum);
      det.appendChild(detailsList(step.details));
      if (state.openSteps[identity]) det.open = true;
      det.addEventListener("toggle", function () {
        if (det.open) state.openSteps[identity] = true;
        else delete state.openSteps[identity];
      });
      body.appendChild(det);
    }
    li.appendChild(body);
    return li;
  }

  /* Replace only the steps whose JSON changed, so focus and open <details> stay put. */
  function renderTimeline(steps) {
    var ol = $("timeline-steps");
    var fid = focusedId();
    var seen = {};
    var existing = Array.prototype.slice.call(ol.children);
    steps = steps.filter(function (s) { return s && typeof s === "object"; });
    steps.forEach(function (step, i) {
      var identity = stepIdentity(step, seen);
      var json = JSON.stringify(step);
      var old = existing[i];
      if (old && old.getAttribute("data-json") === json && old.getAttribute("data-identity") === identity) return;
      var node = stepNode(step, identity);
      node.setAttribute("data-json", json);
      if (old) ol.replaceChild(node, old); else ol.appendChild(node);
    });
    for (var k = steps.length; k < existing.length; k++) existing[k].remove();
    $("timeline-empty").hidden = steps.length > 0;
    if (!steps.length) $("timeline-empty").textContent = "Nothing recorded for this signup yet.";
    ol.hidden = steps.length === 0;
    restoreFocus(fid);
  }

  /* ---------- 4. what Cello sees ---------- */

  function celloCard(ev) {
    var li = el("li", "cello-card");
    var head = el("div", "cello-head");
    head.appendChild(el("h3", "cello-type mono", ev.type || "(unknown event)"));
    var t = timeNode(ev.received_at, "when");
    if (t) {
      var wrap = el("span", "cello-when");
      wrap.appendChild(document.createTextNode("Received "));
      wrap.appendChild(t);
      head.appendChild(wrap);
    }
    li.appendChild(head);
    if (ev.event_id) li.appendChild(el("p", "cello-id mono", ev.event_id));

    var fields = Array.isArray(ev.fields) ? ev.fields : [];
    if (!fields.length) {
      li.appendChild(el("p", "muted", "No highlighted fields in this event."));
      return li;
    }
    var wrapT = el("div", "table-wrap cello-table-wrap");
    var table = el("table", "data-table cello-table");
    var cap = el("caption", "visually-hidden", "Fields Cello reads in " + (ev.type || "this event"));
    table.appendChild(cap);
    var thead = el("thead");
    var hr = el("tr");
    ["Field", "Value", "Why Cello reads it"].forEach(function (h) {
      var th = el("th", null, h);
      th.setAttribute("scope", "col");
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el("tbody");
    fields.forEach(function (f) {
      if (!f || typeof f !== "object") return;
      var tr = el("tr");
      var th = el("th", "cello-path");
      th.setAttribute("scope", "row");
      th.appendChild(pathCode(String(f.path || "")));
      tr.appendChild(th);
      var tdv = el("td", "cello-value");
      tdv.setAttribute("data-label", "Value");
      tdv.appendChild(valueNode(f.value));
      tr.appendChild(tdv);
      var tdw = el("td", "cello-why", f.why || "");
      tdw.setAttribute("data-label", "Why");
      tr.appendChild(tdw);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrapT.appendChild(table);
    li.appendChild(wrapT);
    return li;
  }

  /* A dotted path with break opportunities after each dot. */
  function pathCode(path) {
    var code = el("code");
    path.split(".").forEach(function (part, i, parts) {
      code.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "." : "")));
      if (i < parts.length - 1) code.appendChild(document.createElement("wbr"));
    });
    return code;
  }

  function renderCello(events) {
    var ol = $("cello-events");
    var json = JSON.stringify(events);
    if (ol.getAttribute("data-json") === json) return;
    ol.setAttribute("data-json", json);
    ol.textContent = "";
    events.forEach(function (ev) { if (ev && typeof ev === "object") ol.appendChild(celloCard(ev)); });
    ol.hidden = events.length === 0;
    $("cello-empty").hidden = events.length > 0;
    $("cello-empty").textContent = CELLO_EMPTY;
  }

  /* ---------- selected journey ---------- */

  function clearDetail(message) {
    var ol = $("timeline-steps");
    ol.textContent = "";
    ol.hidden = true;
    var empty = $("timeline-empty");
    empty.hidden = false;
    empty.textContent = message || (state.journeys.length
      ? "Select a signup to see what happened."
      : "No signups yet. The timeline appears after the first signup.");
    var cello = $("cello-events");
    cello.textContent = "";
    cello.removeAttribute("data-json");
    cello.hidden = true;
    $("cello-empty").hidden = false;
    $("cello-empty").textContent = message ? "…" : "Select a signup to see the Stripe events Cello receives.";
    showActionMessage("", false);
  }

  function applyJourney(id, result) {
    if (id !== state.selected) return; // the selection changed meanwhile
    if (!result.ok || !result.data || typeof result.data !== "object") {
      if (result.status === 404) {
        state.journeyText = null;
        clearDetail(errorMessage(result, "This signup no longer exists."));
        return;
      }
      throw new Error(errorMessage(result, "Could not load the journey"));
    }
    if (result.text === state.journeyText && state.journeyFor === id) return;
    state.journeyText = result.text;
    state.journeyFor = id;
    var data = result.data;
    renderTimeline(Array.isArray(data.timeline) ? data.timeline : []);
    renderCello(Array.isArray(data.cello_view) ? data.cello_view : []);
  }

  function refreshJourney() {
    var id = state.selected;
    if (!id) return Promise.resolve();
    return getJSON(withQuery(cfg.apiJourney, "user", id)).then(function (r) { applyJourney(id, r); });
  }

  /* ---------- polling ---------- */

  function setLive(kind, text) {
    var node = $("live-status");
    node.setAttribute("data-state", kind);
    node.querySelector(".live-text").textContent = text;
  }

  function poll() {
    if (state.polling) return Promise.resolve();
    state.polling = true;
    clearTimeout(state.timer);
    return getJSON(cfg.apiJourneys).then(function (r) {
      if (!r.ok) throw new Error(errorMessage(r, "Could not load signups"));
      applyJourneys(r);
      $("journeys-error").hidden = true;
      return refreshJourney();
    }).then(function () {
      if (state.failing) announce("Reconnected. Live updates resumed.");
      state.failing = false;
      setLive("ok", "Live · updated " + hms(new Date()));
    }, function () {
      if (!state.failing) announce("Connection lost. Reconnecting…");
      state.failing = true;
      setLive("error", "Reconnecting…");
      if (state.journeysText === null) {
        var err = $("journeys-error");
        err.textContent = "Can’t load signups yet. Retrying every few seconds…";
        err.hidden = false;
      }
    }).then(function () {
      state.polling = false;
      schedule();
    });
  }

  function schedule() {
    clearTimeout(state.timer);
    if (document.hidden) {
      setLive("paused", "Paused while this tab is hidden");
      return;
    }
    state.timer = setTimeout(poll, POLL_MS);
  }

  function refreshNow() {
    if (state.polling) {
      // Run again as soon as the current poll finishes.
      clearTimeout(state.timer);
      state.timer = setTimeout(refreshNow, 150);
      return;
    }
    poll();
  }

  /* ---------- init ---------- */

  function init() {
    root = $("demo-console");
    if (!root) return;
    var ds = root.dataset;
    cfg = {
      sandbox: ds.sandbox === "true",
      flow: ds.flow || "",
      productId: ds.productId || "",
      apiJourneys: ds.apiJourneys,
      apiJourney: ds.apiJourney,
      advanceUrl: ds.advanceUrl || "",
      freshVisitUrl: ds.freshVisitUrl || "/",
      csrf: ds.csrfToken || ""
    };
    state.selected = ds.selected || null;

    initBuilder();

    $("journey-list").addEventListener("click", function (e) {
      var a = e.target.closest ? e.target.closest(".journey-link") : null;
      if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      select(a.getAttribute("data-user"));
    });

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        clearTimeout(state.timer);
        setLive("paused", "Paused while this tab is hidden");
      } else {
        refreshNow();
      }
    });
    // Coming back from the visitor window: refresh at once.
    window.addEventListener("focus", function () { if (!document.hidden) refreshNow(); });

    if (state.selected) updateWho();
    poll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

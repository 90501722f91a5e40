// sluice web UI: the live parts of the server-rendered pages. Plain
// JavaScript, loaded as a file (the Content-Security-Policy forbids inline
// script). Log text is only ever set with textContent, never as HTML.
"use strict";

(function () {
  var STATUSES = {
    pending: "○", running: "◐", succeeded: "✓", failed: "✗", skipped: "–",
    cancelled: "⊘", interrupted: "!", waiting: "‖"
  };
  var FINAL = { succeeded: 1, failed: 1, skipped: 1, cancelled: 1, interrupted: 1 };
  var LABELS = { waiting: "waiting for approval" };

  function statusClass(st) {
    return Object.prototype.hasOwnProperty.call(STATUSES, st) ? "st-" + st : "st-unknown";
  }

  // setBadge rewrites a status badge (HTML span or SVG node) in place.
  function setStatus(el, st) {
    if (!el || el.getAttribute("data-status") === st) {
      return;
    }
    var cls = (el.getAttribute("class") || "").split(/\s+/).filter(function (c) {
      return c && c.indexOf("st-") !== 0;
    });
    cls.push(statusClass(st));
    el.setAttribute("class", cls.join(" "));
    el.setAttribute("data-status", st);
    var icon = el.querySelector(".icon");
    if (icon) {
      icon.textContent = STATUSES[st] || "?";
    }
    var label = el.querySelector(".label");
    if (label) {
      label.textContent = LABELS[st] || st;
    }
    var title = el.querySelector("title");
    if (title) {
      title.textContent = (el.getAttribute("data-job") || "") + ": " + (LABELS[st] || st);
    }
    if (el.hasAttribute("aria-label")) {
      el.setAttribute("aria-label", (el.getAttribute("data-job") || "") + ": " + (LABELS[st] || st));
    }
  }

  function byAttr(name, value, root) {
    var all = (root || document).querySelectorAll("[" + name + "]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute(name) === value) {
        return all[i];
      }
    }
    return null;
  }

  // Terminal escapes and control characters are dropped, as the server does.
  function plain(text) {
    return String(text).replace(/\u001b\[[0-?]*[ -\/]*[@-~]/g, "").replace(/\u001b./g, "")
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "");
  }

  // --- Log search ------------------------------------------------------

  var search = document.getElementById("log-search");
  var count = document.getElementById("log-search-count");

  function matches(li, q) {
    return q === "" || li.textContent.toLowerCase().indexOf(q) >= 0;
  }

  function filterLogs() {
    if (!search) {
      return;
    }
    var q = search.value.trim().toLowerCase();
    var lines = document.querySelectorAll("#logs .log-line");
    var hits = 0;
    for (var i = 0; i < lines.length; i++) {
      var ok = matches(lines[i], q);
      lines[i].hidden = !ok;
      lines[i].classList.toggle("hit", ok && q !== "");
      if (ok) {
        hits++;
      }
    }
    if (count) {
      count.textContent = q === "" ? "" : hits + (hits === 1 ? " line matches" : " lines match");
    }
  }

  if (search) {
    search.addEventListener("input", filterLogs);
  }

  // --- Live run --------------------------------------------------------

  var live = document.getElementById("live");
  if (live) {
    followRun(live);
  }
  var traffic = document.getElementById("traffic");
  if (traffic) {
    followTraffic(traffic);
  }

  // followRun keeps a run's page current: log lines by server-sent
  // events, the jobs' states by polling.
  function followRun(live) {
    var streamURL = live.getAttribute("data-stream");
    var statusURL = live.getAttribute("data-status-url");
    var last = {};

    function logList(job) {
      var ol = byAttr("data-log-job", job);
      if (ol) {
        return ol;
      }
      // A job the page did not know yet: add its section.
      var sec = document.createElement("section");
      sec.className = "job-logs";
      sec.setAttribute("data-log-section", job);
      var h = document.createElement("h3");
      h.textContent = job;
      ol = document.createElement("ol");
      ol.className = "logs";
      ol.setAttribute("data-log-job", job);
      ol.setAttribute("data-last-seq", "0");
      sec.appendChild(h);
      sec.appendChild(ol);
      document.getElementById("logs").appendChild(sec);
      return ol;
    }

    function appendLine(line) {
      var ol = logList(line.job);
      if (last[line.job] === undefined) {
        last[line.job] = parseInt(ol.getAttribute("data-last-seq") || "0", 10);
      }
      if (line.seq <= last[line.job]) {
        return; // already on the page
      }
      last[line.job] = line.seq;
      ol.setAttribute("data-last-seq", String(line.seq));
      var li = document.createElement("li");
      li.className = "log-line s-" + (line.stream === "stderr" || line.stream === "system" ? line.stream : "stdout");
      li.setAttribute("data-seq", String(line.seq));
      li.textContent = plain(line.text);
      if (search) {
        var q = search.value.trim().toLowerCase();
        li.hidden = !matches(li, q);
      }
      ol.appendChild(li);
      if (line.stream === "system") {
        stale = true; // the gatekeeper speaks: a gate decision or a wait may come or go
        soon();
      }
      var node = byAttr("data-job", line.job, document.getElementById("dag"));
      if (node && node.getAttribute("data-status") === "pending") {
        soon(); // a job started: fetch the jobs' states now
      }
    }

    function showJob(id, st) {
      setStatus(byAttr("data-job", id, document.getElementById("dag")), st);
      var row = byAttr("data-job-row", id);
      if (row) {
        setStatus(row.querySelector(".job-status .badge"), st);
      }
      var sec = byAttr("data-log-section", id);
      if (sec) {
        setStatus(sec.querySelector(".job-status .badge"), st);
      }
    }

    // jobState is what the page last drew of the jobs ("id=status ..."),
    // read from the graph as the server drew it.
    function jobState(pairs) {
      return pairs.sort().join(" ");
    }
    var drawn = jobState(Array.prototype.map.call(document.querySelectorAll("#dag [data-job]"), function (n) {
      return n.getAttribute("data-job") + "=" + n.getAttribute("data-status");
    }));
    var stale = false;

    // applyRun shows the jobs' states in place. A run that ended is
    // reloaded once (its times, gate decisions and buttons change); when
    // a job's state changes or the gatekeeper spoke, the parts the server
    // draws (head, jobs, gate decisions) are drawn again.
    function applyRun(run) {
      if (FINAL[run.status]) {
        location.reload();
        return true;
      }
      setStatus(document.getElementById("run-status"), run.status);
      var pairs = [];
      (run.jobs || []).forEach(function (j) {
        var st = j.status;
        if (j.waiting_for_approval && !FINAL[st]) {
          st = "waiting";
        }
        showJob(j.id, st);
        pairs.push(j.id + "=" + st);
      });
      var now = jobState(pairs);
      if (now !== drawn || stale) {
        drawn = now;
        stale = false;
        redraw();
      }
      tick();
      return false;
    }

    // redraw fetches this page again and swaps in its [data-refresh]
    // parts (the logs stay: they follow the stream).
    function redraw() {
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (!html || !timer) {
            return;
          }
          var doc = new DOMParser().parseFromString(html, "text/html");
          if (!doc.getElementById("live")) {
            location.reload(); // the run ended meanwhile
            return;
          }
          Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), function (old) {
            var fresh = byAttr("data-refresh", old.getAttribute("data-refresh"), doc);
            if (fresh) {
              old.replaceWith(document.importNode(fresh, true));
            }
          });
        })
        .catch(function () { /* the next change tries again */ });
    }

    // tick moves the durations of what still runs ("12m 5s").
    function tick() {
      Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (el) {
        var s = Math.max(0, Math.round((Date.now() - Date.parse(el.getAttribute("data-since"))) / 1000));
        el.textContent = s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m " + s % 60 + "s" :
          s < 172800 ? Math.floor(s / 3600) + "h " + Math.floor(s / 60) % 60 + "m" : Math.floor(s / 86400) + "d";
      });
    }

    var timer = null;
    var pending = null;
    // soon polls once shortly, for changes a log line hints at.
    function soon() {
      if (!pending && timer) {
        pending = setTimeout(function () { pending = null; poll(); }, 300);
      }
    }

    function poll() {
      fetch(statusURL, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (run) {
          if (run && applyRun(run)) {
            stop("finished");
          }
        })
        .catch(function () { /* the next poll tries again */ });
    }

    var es = null;
    function stop(why) {
      if (timer) {
        clearInterval(timer);
        timer = null;
      }
      if (es) {
        es.close();
        es = null;
      }
      var liveState = document.getElementById("live-state"); // redraw may have replaced it
      if (liveState) {
        liveState.textContent = why;
      }
    }

    if (statusURL) {
      timer = setInterval(poll, 2000);
    }
    if (streamURL && window.EventSource) {
      es = new EventSource(streamURL);
      es.addEventListener("line", function (ev) {
        try {
          appendLine(JSON.parse(ev.data));
        } catch (e) { /* a malformed event is skipped */ }
      });
      es.addEventListener("end", function () {
        if (es) {
          es.close();
          es = null;
        }
        poll();
      });
      es.addEventListener("error", function () {
        if (es && es.readyState === EventSource.CLOSED) {
          stop("live updates stopped; reload the page");
        }
      });
    }
  }

  // --- Live traffic ----------------------------------------------------

  // followTraffic polls an environment's traffic every two seconds while
  // a rollout goes on and rewrites the bar and the numbers in place
  // (attributes and textContent only); the charts over time are drawn
  // again by the server and swapped in whole.
  function followTraffic(section) {
    var url = section.getAttribute("data-url");
    if (!url) {
      return;
    }
    var active = section.getAttribute("data-follow") === "1";
    function text(el, value) {
      if (el && el.textContent !== value) {
        el.textContent = value;
      }
    }
    function field(row, name) {
      return row ? row.querySelector("[data-field='" + name + "']") : null;
    }
    function apply(t) {
      text(document.getElementById("gateway-state"), t.gateway || "unknown");
      var x = 0;
      (t.releases || []).forEach(function (rel) {
        var w = Math.max(0, Math.min(100 - x, rel.weight || 0));
        var seg = byAttr("data-release", rel.id, section.querySelector("svg"));
        if (seg) {
          seg.setAttribute("x", String(x));
          seg.setAttribute("width", String(w));
          text(seg.querySelector("title"), (rel.version || rel.id) + " (" + rel.role + "): " + w + "%");
        }
        x += w;
        text(byAttr("data-weight-of", rel.id, document), w + "% of traffic");
        text(field(byAttr("data-release", rel.id, section.querySelector(".legend")), "weight"), w + "%");
        var row = byAttr("data-release", rel.id, section.querySelector("tbody"));
        text(field(row, "weight"), w + "%");
        text(field(row, "requests"), String(rel.requests || 0));
        text(field(row, "error_rate"), (100 * (rel.error_rate || 0)).toFixed(1) + "%");
        text(field(row, "p50_ms"), Math.round(rel.p50_ms || 0) + " ms");
        text(field(row, "p99_ms"), Math.round(rel.p99_ms || 0) + " ms");
        text(field(row, "in_flight"), String(rel.in_flight || 0));
        text(field(row, "refused"), String(rel.refused || 0));
      });
      if (t.rollout) {
        text(document.getElementById("rollout-state"), t.rollout.state);
        text(document.getElementById("rollout-step"), String(t.rollout.step));
        text(document.getElementById("rollout-message"), t.rollout.message || "");
      }
      return !t.rollout || !!FINAL[t.rollout.state] || /^(live|failed|aborted|rolled_back)$/.test(t.rollout.state);
    }
    function redrawCharts() {
      var old = document.getElementById("charts");
      var chartsURL = old && old.getAttribute("data-url");
      if (!chartsURL) {
        return;
      }
      fetch(chartsURL, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("charts");
          var cur = document.getElementById("charts");
          if (fresh && cur) {
            cur.replaceWith(document.importNode(fresh, true));
          }
        })
        .catch(function () { /* the next poll tries again */ });
    }
    // While a rollout goes on, every two seconds: the bar, the numbers and
    // the charts in place. Otherwise every ten seconds, to notice one
    // starting. When a rollout starts or ends (two polls in a row agree
    // it did), the page is loaded again: its releases and buttons change.
    var last = null;
    // A page whose own state and the API's disagree for good (a candidate
    // whose release is gone) reloads once, not forever.
    var RELOADED = "sluice-reloaded:" + location.pathname;
    function reloadedLately() {
      var at = Number(sessionStorage.getItem(RELOADED) || 0);
      return Date.now() - at < 30000;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (t) {
          if (!t) {
            return;
          }
          var now = !!t.rollout && !/^(live|failed|aborted|rolled_back|superseded)$/.test(t.rollout.state);
          if (last !== null && now === last && now !== active && !reloadedLately()) {
            sessionStorage.setItem(RELOADED, String(Date.now()));
            location.reload();
            return;
          }
          last = now;
          if (active) {
            redrawCharts();
            apply(t);
          }
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { setTimeout(poll, active ? 2000 : 10000); });
    }
    setTimeout(poll, active ? 2000 : 10000);
  }
})();

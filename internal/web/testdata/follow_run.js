// A stub page for app.js's followRun (see TestAppJSFollowsRun): just
// enough DOM for the run page's graph, its live marker and the parts the
// script draws again. Prints "ok" or what went wrong.
"use strict";
var fs = require("fs");

function El(attrs) {
  this.attrs = Object.assign({}, attrs);
  this.textContent = "";
  this.replacedBy = null;
}
El.prototype.getAttribute = function (n) { return Object.prototype.hasOwnProperty.call(this.attrs, n) ? this.attrs[n] : null; };
El.prototype.setAttribute = function (n, v) { this.attrs[n] = String(v); };
El.prototype.hasAttribute = function (n) { return Object.prototype.hasOwnProperty.call(this.attrs, n); };
El.prototype.querySelector = function () { return null; };
El.prototype.querySelectorAll = function (sel) { return sel === "[data-job]" ? nodes : []; };
El.prototype.replaceWith = function (n) { this.replacedBy = n; replaced.push(this.attrs["data-refresh"]); };

var nodes = [new El({ "data-job": "build", "data-status": "running" }), new El({ "data-job": "release", "data-status": "pending" })];
var dag = new El({ id: "dag" });
var live = new El({ id: "live", "data-status-url": "/ui/api/runs/r1", "data-stream": "" });
var parts = ["head", "jobs", "decisions"];
var oldParts = parts.map(function (p) { return new El({ "data-refresh": p }); });
var freshParts = parts.map(function (p) { return new El({ "data-refresh": p, fresh: "1" }); });
var replaced = [], reloads = 0, pageFetches = 0, intervals = [];

global.document = {
  getElementById: function (id) { return { dag: dag, live: live }[id] || null; },
  querySelectorAll: function (sel) {
    if (sel === "#dag [data-job]") { return nodes; }
    if (sel === "[data-refresh]") { return oldParts; }
    return [];
  },
  importNode: function (n) { return n; }
};
global.window = {};
global.location = { href: "http://sluice.test/runs/1", reload: function () { reloads++; } };
global.setInterval = function (fn) { intervals.push(fn); return intervals.length; };
global.clearInterval = function () {};
global.DOMParser = function () {};
global.DOMParser.prototype.parseFromString = function () {
  return {
    getElementById: function (id) { return id === "live" ? live : null; },
    querySelectorAll: function (sel) { return sel === "[data-refresh]" ? freshParts : []; }
  };
};
var run = { status: "running", jobs: [{ id: "build", status: "running" }, { id: "release", status: "pending" }] };
global.fetch = function (url) {
  if (url === location.href) {
    pageFetches++;
    return Promise.resolve({ ok: true, text: function () { return Promise.resolve("<html></html>"); } });
  }
  var body = JSON.parse(JSON.stringify(run));
  return Promise.resolve({ ok: true, json: function () { return Promise.resolve(body); } });
};

function fail(msg) { console.log(msg); process.exit(1); }
function settle() { return new Promise(function (r) { setImmediate(r); }).then(function () { return new Promise(function (r) { setImmediate(r); }); }); }

eval(fs.readFileSync(process.argv[2], "utf8"));
if (intervals.length !== 1) { fail("want one poll timer, got " + intervals.length); }
var poll = intervals[0];

poll();
settle().then(function () {
  if (pageFetches !== 0 || reloads !== 0) { fail("nothing changed, yet the page was fetched " + pageFetches + " times, reloaded " + reloads); }
  // The build succeeds; the release waits for approval: draw the parts again.
  run.jobs = [{ id: "build", status: "succeeded" }, { id: "release", status: "running", waiting_for_approval: "production" }];
  poll();
  return settle();
}).then(function () {
  if (pageFetches !== 1 || reloads !== 0) { fail("a job changed: page fetched " + pageFetches + " times, reloaded " + reloads + "; want 1, 0"); }
  if (replaced.join(",") !== parts.join(",")) { fail("parts drawn again: " + replaced.join(",")); }
  if (nodes[1].getAttribute("data-status") !== "waiting") { fail("release node: " + nodes[1].getAttribute("data-status")); }
  // The run ends: reload once.
  run.status = "succeeded";
  run.jobs[1] = { id: "release", status: "succeeded" };
  poll();
  return settle();
}).then(function () {
  if (reloads !== 1) { fail("the run ended: reloaded " + reloads + " times, want 1"); }
  console.log("ok");
});

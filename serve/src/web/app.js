// engram's web view: read-only pages over the REST API (/v1/...), with the server's token.
// Every string from the store is put in the page as text (textContent), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

// A token from "#token=..." (then dropped from the address), else the one this tab holds.
(function takeToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("engram-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
})();

class Unauthorized extends Error {}

async function api(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  const headers = {};
  const token = sessionStorage.getItem("engram-token");
  if (token) headers.Authorization = "Bearer " + token;
  const r = await fetch(url, { headers });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) throw new Unauthorized(body.detail || "unauthorized");
  if (!r.ok) throw new Error(body.detail || body.error || r.statusText);
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

const conf = (c) => (c === undefined ? "" : Number(c).toFixed(2));

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== view;
  for (const t of document.querySelectorAll(".tab"))
    t.setAttribute("aria-selected", String(t.dataset.view === view));
}

// Runs a page's loader, showing its failure (or asking for a token).
async function run(loader) {
  $("error").textContent = "";
  try {
    await loader();
  } catch (e) {
    if (e instanceof Unauthorized) {
      $("token-form").hidden = false;
      $("token-error").textContent = sessionStorage.getItem("engram-token") ? e.message : "";
    } else {
      $("error").textContent = e.message;
    }
  }
}

async function loadStats() {
  const s = await api("/v1/stats");
  $("stats").textContent =
    `${s.facts} facts (${s.asserted} asserted, ${s.derived} derived) · commit ${s.generation}`;
}

// Results: recall's hits (each with why), or a substring search's entities.
async function recall(q) {
  const r = await api("/v1/recall", { q, limit: 20 });
  $("results-title").textContent = `Recall: ${r.hits.length} of ${r.page.total} for “${q}”`;
  $("hits").replaceChildren(
    ...r.hits.map((h) => {
      const why = [];
      if (h.matched && h.matched.length) why.push("matched " + h.matched.join(", "));
      if (h.path && h.path.length)
        why.push("reached by " + h.path.map((p) => `${p.from} —${p.relation}→ ${p.to} (${conf(p.confidence)}, ${p.rule})`).join(", "));
      return el("li", { class: "hit" },
        el("button", { class: "hit-title", onclick: () => run(() => neighbourhood(h.id)) }, h.title || h.id),
        el("div", { class: "meta" }, `${h.kind} · ${h.type || ""} · ${h.id} · score ${conf(h.score)}`),
        el("div", { class: "why" }, why.join("; ")),
        h.snippet ? el("div", {}, h.snippet) : "");
    }));
  show("results");
}

async function search(q) {
  const g = await api("/v1/search", { q, limit: 50 });
  $("results-title").textContent = `Search: ${g.entities.length} entities containing “${q}”`;
  $("hits").replaceChildren(
    ...g.entities.map((e) =>
      el("li", { class: "hit" },
        el("button", { class: "hit-title", onclick: () => run(() => neighbourhood(e.name)) }, e.name),
        el("div", { class: "meta" }, e.entityType + (e.inferred ? ` · inferred (${conf(e.confidence)}, ${e.rule})` : "")),
        e.observations.length ? el("div", {}, e.observations[0]) : "")));
  show("results");
}

// Graph: the centre in the middle, its neighbours on rings around it.
async function neighbourhood(name) {
  const n = await api("/v1/neighbourhood", { name, limit: 40 });
  $("graph-title").textContent = `Around ${n.name}`;
  $("graph-merged").textContent = n.merged.length ? `Merged into ${n.name}: ${n.merged.join(", ")}` : "";
  $("graph-more").textContent = n.more ? `${n.more} more relations not drawn` : "";
  const kinds = new Map(n.entities.map((e) => [e.name, e]));
  const names = new Set([n.name]);
  for (const r of n.relations) { names.add(r.from); names.add(r.to); }
  // The centre in the middle, its neighbours on one ring (two when they are many), sorted
  // so that the drawing is the same each time.
  const others = [...names].filter((x) => x !== n.name).sort();
  const at = new Map([[n.name, [500, 350]]]);
  const rings = others.length > 24 ? 2 : 1;
  others.forEach((x, i) => {
    const r = rings === 1 ? 290 : 200 + 110 * (i % 2);
    const a = (2 * Math.PI * i) / others.length - Math.PI / 2;
    at.set(x, [500 + r * 1.5 * Math.cos(a), 350 + r * Math.sin(a)]);
  });
  const drawn = $("graph-svg");
  drawn.replaceChildren();
  const pairs = new Map();
  // The neighbours' relations among themselves first (underneath), faint and unlabelled.
  const centre = (r) => r.from === n.name || r.to === n.name;
  const ordered = [...n.relations.filter((r) => !centre(r)), ...n.relations.filter(centre)];
  for (const r of ordered) {
    const [x1, y1] = at.get(r.from), [x2, y2] = at.get(r.to);
    const pair = [r.from, r.to].sort().join("\u0000");
    const k = pairs.get(pair) || 0;
    pairs.set(pair, k + 1);
    const label = r.relationType + (r.inferred ? ` ${conf(r.confidence)}` : "");
    const kind = "edge" + (r.inferred ? " inferred" : "") + (centre(r) ? "" : " between");
    drawn.append(svg("g", { class: kind, "data-fact": r.fact, onclick: () => run(() => explain(r.fact)) },
      svg("title", {}, `${r.from} ${label} ${r.to}` + (r.inferred ? ` (by ${r.rule})` : " (asserted)")),
      svg("line", { x1, y1, x2, y2 }),
      centre(r) ? svg("text", { x: x1 + (x2 - x1) * 0.62, y: y1 + (y2 - y1) * 0.62 - 4 + 11 * k }, label) : ""));
  }
  for (const [x, [cx, cy]] of at) {
    const e = kinds.get(x);
    const label = x.length > 24 ? x.slice(0, 23) + "…" : x;
    const also = e && e.merged && e.merged.length ? ` (also ${e.merged.join(", ")})` : "";
    const tip = e ? `${x}${also}, ${e.entityType}${e.observations.length ? ": " + e.observations[0] : ""}` : x;
    drawn.append(svg("g", { class: "node" + (x === n.name ? " centre" : "") + (e && e.inferred ? " inferred" : ""),
                            "data-name": x, onclick: () => run(() => neighbourhood(x)) },
      svg("title", {}, tip),
      svg("circle", { cx, cy, r: x === n.name ? 14 : 9 }),
      svg("text", { x: cx, y: cy + 24 }, label + (e ? ` · ${e.entityType}` : ""))));
  }
  show("graph");
}

// Proof: a fact's derivation as a tree, each step with its rule and confidence.
function proofTree(p) {
  const head = [el("span", { class: "fact" }, p.fact), " ",
                el("span", { class: "conf" }, conf(p.confidence)), " ",
                el("span", { class: "rule" }, p.rule)];
  if (!p.premises || !p.premises.length) return el("li", {}, ...head);
  return el("li", {}, el("details", { open: "" }, el("summary", {}, ...head),
    el("ul", {}, ...p.premises.map(proofTree))));
}

async function explain(fact) {
  $("fact").value = fact;
  const r = await api("/v1/explain", { fact });
  $("proof-title").textContent = r.holds ? `Proof of ${r.fact}` : `${r.fact} does not hold`;
  const tree = $("proof-tree");
  if (r.holds) {
    tree.replaceChildren(el("ul", { class: "tree" }, proofTree(r.proof)));
  } else {
    const why = await api("/v1/explain", { fact, why_not: "true", format: "text" });
    tree.replaceChildren(el("pre", {}, typeof why.why_not === "string" ? why.why_not : JSON.stringify(why.why_not, null, 2)));
  }
  show("proof");
}

async function violations() {
  const r = await api("/v1/violations");
  $("violation-list").replaceChildren(
    ...(r.violations.length ? r.violations : []).map((v) =>
      el("li", {},
        el("strong", {}, v.constraint), " ",
        el("span", { class: "meta" }, Object.entries(v.bindings).map(([k, x]) => `${k} = ${x}`).join(", ")), " ",
        el("span", { class: "conf" }, conf(v.confidence)),
        el("ul", { class: "tree" }, proofTree(v.proof)))));
  if (!r.violations.length) $("violation-list").replaceChildren(el("li", {}, "None: every constraint holds."));
  show("violations");
}

async function rules() {
  const files = await api("/v1/rules");
  $("rule-files").tBodies[0].replaceChildren(
    ...files.map((f) =>
      el("tr", {},
        el("td", {}, f.name + (f.standard ? " (standard)" : "")),
        el("td", { class: "n" }, f.rules),
        el("td", { class: "n" }, f.derived),
        el("td", {}, el("button", { onclick: () => run(() => ruleFile(f.name)) }, "rules")))));
  show("rules");
}

async function ruleFile(name) {
  const f = await api("/v1/rules/" + encodeURIComponent(name));
  $("rule-file").hidden = false;
  $("rule-file-name").textContent = f.name;
  $("rule-counts").tBodies[0].replaceChildren(
    ...f.counts.map((c) =>
      el("tr", {}, el("td", {}, c.rule), el("td", {}, c.written), el("td", {}, c.head),
         el("td", { class: "n" }, c.derived))));
  $("rule-text").textContent = f.text;
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("q").value.trim();
    const how = e.submitter && e.submitter.value === "search" ? search : recall;
    run(() => how(q));
  });
  $("explain").addEventListener("submit", (e) => {
    e.preventDefault();
    run(() => explain($("fact").value.trim()));
  });
  $("token").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("engram-token", $("token-value").value.trim());
    $("token-form").hidden = true;
    run(loadStats);
  });
  const views = { results: async () => show("results"), graph: async () => show("graph"),
                  proof: async () => show("proof"), violations, rules };
  for (const t of document.querySelectorAll(".tab"))
    t.addEventListener("click", () => run(views[t.dataset.view]));
  show("results");
  run(loadStats);
});

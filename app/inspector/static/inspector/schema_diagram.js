// The schema diagram: models as boxes with their fields, relations and inheritance as
// labelled edges, drawn as SVG from the status API's schema graph. No library and no
// inline script (the shell's CSP): a deterministic layered layout written here — a model
// sits below the models it points at, layers are ordered to shorten edges and wrapped
// when wide — plus pan (drag), zoom (wheel, buttons), fit, and a filter by app.
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const BOX = { minWidth: 150, header: 26, row: 16, pad: 8, charWidth: 7, maxFields: 10 };
  const GAP = { x: 40, y: 90 };
  const SWEEPS = 4;
  const LABELS = {
    "many-to-one": "FK",
    "one-to-one": "1:1",
    "many-to-many": "M2M",
    inherits: "inherits",
    proxy: "proxy of",
  };
  const PALETTE = ["#0c6b58", "#3559b7", "#a05a00", "#7b3fc4", "#b3261e", "#00707a", "#5c6b00", "#c2185b"];

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Nodes and edges to draw: models outside the project become ghost boxes; with an app
  // chosen, its models and their direct neighbours (ghosted) only.
  function prepare(graph, app) {
    const nodes = new Map();
    graph.nodes.forEach((n) => nodes.set(n.id, Object.assign({ ghost: false }, n)));
    const edges = [];
    graph.edges.forEach((e) => {
      let target = e.target_id;
      if (!target) {
        target = `outside:${e.target}`;
        if (!nodes.has(target)) {
          nodes.set(target, { id: target, name: e.target, app: "", fields: [], field_types: [], ghost: true, outside: true });
        }
      }
      edges.push(Object.assign({}, e, { target }));
    });
    if (!app) return { nodes: [...nodes.values()], edges };
    const keep = new Set([...nodes.values()].filter((n) => n.app === app).map((n) => n.id));
    const shown = new Set(keep);
    const kept = edges.filter((e) => keep.has(e.source) || keep.has(e.target));
    kept.forEach((e) => { shown.add(e.source); shown.add(e.target); });
    const list = [...shown].map((id) => Object.assign({}, nodes.get(id), { ghost: !keep.has(id) || nodes.get(id).ghost }));
    return { nodes: list, edges: kept };
  }

  function boxSize(node) {
    const lines = node.fields.slice(0, BOX.maxFields).map((f, i) => `${f}: ${node.field_types[i] || ""}`);
    if (node.fields.length > BOX.maxFields) lines.push(`+ ${node.fields.length - BOX.maxFields} more`);
    const title = node.name + (node.abstract ? " «abstract»" : node.proxy ? " «proxy»" : "");
    // The header holds the title (bold, wider letters) and the app's label.
    const header = title.length * 8.2 + (node.app.length + 3) * 6.2;
    const longest = Math.max(header, ...lines.map((l) => l.length * BOX.charWidth));
    return {
      lines,
      title,
      width: Math.max(BOX.minWidth, Math.ceil(longest) + 2 * BOX.pad),
      height: BOX.header + lines.length * BOX.row + (lines.length ? BOX.pad : 0),
    };
  }

  // Layer = 1 + the deepest layer among the models a model points at (cycles ignored).
  function assignLayers(ids, out) {
    const layer = new Map();
    const visiting = new Set();
    function visit(id) {
      if (layer.has(id)) return layer.get(id);
      if (visiting.has(id)) return -1;
      visiting.add(id);
      let value = 0;
      out.get(id).forEach((t) => { const l = visit(t); if (l >= 0) value = Math.max(value, l + 1); });
      visiting.delete(id);
      layer.set(id, value);
      return value;
    }
    ids.forEach(visit);
    return layer;
  }

  // Rows of boxes: layers, wide ones wrapped, so a flat project (no relations) is a grid.
  function rowsOf(ids, layerOf) {
    const layers = [];
    ids.forEach((id) => { const l = layerOf.get(id); (layers[l] = layers[l] || []).push(id); });
    const perRow = Math.max(6, Math.ceil(Math.sqrt(ids.length) * 1.5));
    const rows = [];
    layers.filter(Boolean).forEach((layer) => {
      for (let i = 0; i < layer.length; i += perRow) rows.push(layer.slice(i, i + perRow));
    });
    return rows;
  }

  // An edge crossing rows gets a thin waypoint in every row between its ends, so it runs
  // through a gap between boxes instead of behind one (e.chain: waypoints, source first).
  function addWaypoints(edges, rows, byId) {
    const rowOf = new Map();
    rows.forEach((row, r) => row.forEach((id) => rowOf.set(id, r)));
    edges.forEach((e) => {
      e.chain = [];
      if (e.source === e.target) return;
      for (let r = rowOf.get(e.source) - 1; r > rowOf.get(e.target); r -= 1) {
        const id = `~${e.index}~${r}`;
        byId.set(id, { id, waypoint: true, width: 14, height: 0 });
        rows[r].push(id);
        e.chain.push(id);
      }
    });
  }

  // Order each row by the mean position of its neighbours (barycentre), a few sweeps.
  function orderRows(rows, edges) {
    const neighbours = new Map();
    const link = (a, b) => {
      if (!neighbours.has(a)) neighbours.set(a, []);
      if (!neighbours.has(b)) neighbours.set(b, []);
      neighbours.get(a).push(b);
      neighbours.get(b).push(a);
    };
    edges.forEach((e) => {
      const path = [e.source, ...e.chain, e.target];
      for (let i = 1; i < path.length; i += 1) if (path[i - 1] !== path[i]) link(path[i - 1], path[i]);
    });
    const position = new Map();
    const place = (row) => row.forEach((id, i) => position.set(id, i / Math.max(1, row.length - 1)));
    rows.forEach(place);
    for (let sweep = 0; sweep < SWEEPS; sweep += 1) {
      (sweep % 2 === 0 ? rows : [...rows].reverse()).forEach((row) => {
        const score = new Map(row.map((id) => {
          const near = (neighbours.get(id) || []).filter((n) => !row.includes(n));
          return [id, near.length ? near.reduce((sum, n) => sum + position.get(n), 0) / near.length : position.get(id)];
        }));
        row.sort((a, b) => score.get(a) - score.get(b) || a.localeCompare(b));
        place(row);
      });
    }
  }

  function layout(nodes, edges) {
    const byId = new Map(nodes.map((n) => [n.id, Object.assign(n, boxSize(n))]));
    const ids = nodes.map((n) => n.id).sort((a, b) => (byId.get(a).app + a).localeCompare(byId.get(b).app + b));
    const out = new Map(ids.map((id) => [id, []]));
    edges.forEach((e) => { if (e.source !== e.target) out.get(e.source).push(e.target); });
    const rows = rowsOf(ids, assignLayers(ids, out));
    addWaypoints(edges, rows, byId);
    orderRows(rows, edges);
    const widths = rows.map((row) => row.reduce((w, id) => w + byId.get(id).width, 0) + GAP.x * (row.length - 1));
    const widest = Math.max(0, ...widths);
    let y = 0;
    rows.forEach((row, r) => {
      let x = (widest - widths[r]) / 2;
      const height = Math.max(...row.map((id) => byId.get(id).height));
      row.forEach((id) => {
        const n = byId.get(id);
        Object.assign(n, { x, y, row: r }, n.waypoint ? { height } : {});
        x += n.width + GAP.x;
      });
      y += height + GAP.y;
    });
    return { nodes: ids.map((id) => byId.get(id)), byId, width: widest, height: Math.max(0, y - GAP.y) };
  }

  // Where an edge leaves and enters its boxes: spread along the side so edges that share
  // a box do not start from one point.
  function anchors(edges, byId) {
    const sides = new Map();
    const use = (id, side, edge, other) => {
      const key = `${id}|${side}`;
      if (!sides.has(key)) sides.set(key, []);
      sides.get(key).push({ edge, other });
    };
    edges.forEach((e) => {
      const s = byId.get(e.source);
      const t = byId.get(e.target);
      if (s === t) return;
      const up = t.row < s.row;
      const same = t.row === s.row;
      const first = byId.get(e.chain[0] || e.target);
      const last = byId.get(e.chain[e.chain.length - 1] || e.source);
      use(s.id, up || same ? "top" : "bottom", e, first);
      use(t.id, up ? "bottom" : "top", e, last);
    });
    const points = new Map();
    sides.forEach((list, key) => {
      const [id, side] = key.split("|");
      const n = byId.get(id);
      list.sort((a, b) => a.other.x - b.other.x);
      list.forEach(({ edge }, i) => {
        const x = n.x + (n.width * (i + 1)) / (list.length + 1);
        const y = side === "top" ? n.y : n.y + n.height;
        points.set(`${edge.index}|${id === edge.source ? "s" : "t"}`, { x, y, side });
      });
    });
    return points;
  }

  // A vertical S-curve from one point to the next (each leaving by its side).
  function curve(a, b) {
    const bend = (p) => (p.side === "top" ? -1 : 1) * Math.max(30, Math.abs(a.y - b.y) / 2);
    return { c1: { x: a.x, y: a.y + bend(a) }, c2: { x: b.x, y: b.y + bend(b) } };
  }

  function edgePath(edge, byId, points) {
    const s = byId.get(edge.source);
    if (edge.source === edge.target) {
      const x = s.x + s.width;
      const y = s.y + BOX.header / 2;
      return { d: `M${x},${y} C${x + 50},${y - 30} ${x + 50},${y + 40} ${x},${y + 20}`, mid: { x: x + 38, y: y + 6 } };
    }
    const a = points.get(`${edge.index}|s`);
    const b = points.get(`${edge.index}|t`);
    // Through each waypoint: in at its bottom, straight up through its row, out at its top.
    const stops = edge.chain.map((id) => byId.get(id)).map((w) => [
      { x: w.x + w.width / 2, y: w.y + w.height, side: "bottom" },
      { x: w.x + w.width / 2, y: w.y, side: "top" },
    ]);
    let from = a;
    let d = `M${a.x},${a.y}`;
    let mid = null;
    [...stops, [b]].forEach(([entry, exit]) => {
      const { c1, c2 } = curve(from, entry);
      d += ` C${c1.x},${c1.y} ${c2.x},${c2.y} ${entry.x},${entry.y}`;
      if (!mid) mid = labelPoint(from, c1, c2, entry);
      if (exit) d += ` L${exit.x},${exit.y}`;
      from = exit;
    });
    return { d, mid };
  }

  // The label sits in the gap next to the source box, halfway to the next row.
  function labelPoint(a, c1, c2, b) {
    const goal = (a.y + b.y) / 2;
    let best = null;
    for (let i = 0; i <= 40; i += 1) {
      const t = i / 40;
      const u = 1 - t;
      const p = {
        x: u * u * u * a.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * b.x,
        y: u * u * u * a.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * b.y,
      };
      if (!best || Math.abs(p.y - goal) < Math.abs(best.y - goal)) best = p;
    }
    return best;
  }

  function defs() {
    const d = svg("defs");
    const marker = (id, path, cls) => {
      const m = svg("marker", {
        id, viewBox: "0 0 12 12", refX: 11, refY: 6, markerWidth: 10, markerHeight: 10,
        markerUnits: "userSpaceOnUse", orient: "auto-start-reverse",
      });
      m.append(svg("path", { d: path, class: cls }));
      d.append(m);
    };
    marker("schema-arrow", "M0,1 L11,6 L0,11 z", "marker-arrow");
    marker("schema-triangle", "M0,0 L11,6 L0,12 z", "marker-triangle");
    return d;
  }

  function drawNode(n, colour) {
    const classes = ["node", n.ghost ? "ghost" : "", n.abstract ? "abstract" : "", n.outside ? "outside" : ""];
    const g = svg("g", { class: classes.filter(Boolean).join(" "), "data-model": n.id, transform: `translate(${n.x},${n.y})` });
    g.append(svg("title", {}, n.outside ? `${n.name} (outside this project)` : `${n.id}: ${n.fields.length} fields`));
    g.append(svg("rect", { class: "box", width: n.width, height: n.height, rx: 6 }));
    g.append(svg("rect", { class: "header", width: n.width, height: BOX.header, rx: 6, fill: colour }));
    g.append(svg("rect", { class: "header", y: BOX.header - 6, width: n.width, height: 6, fill: colour }));
    g.append(svg("text", { class: "title", x: BOX.pad, y: 17 }, n.title));
    if (n.app) g.append(svg("text", { class: "app", x: n.width - BOX.pad, y: 17, "text-anchor": "end" }, n.app));
    n.lines.forEach((line, i) => {
      const [name, type] = line.split(": ");
      const text = svg("text", { class: "field", x: BOX.pad, y: BOX.header + 13 + i * BOX.row });
      text.append(svg("tspan", { class: "field-name" }, name));
      if (type) text.append(svg("tspan", { class: "field-type" }, `  ${type}`));
      g.append(text);
    });
    return g;
  }

  // An edge's line (drawn under the boxes) and its label (drawn over them).
  function drawEdge(e, byId, points) {
    const { d, mid } = edgePath(e, byId, points);
    const inherits = e.relation === "inherits" || e.relation === "proxy";
    const name = `${e.source}.${e.field || e.relation}`;
    const line = svg("g", { class: `edge edge-${e.relation}`, "data-edge": name });
    const attrs = { d, class: "line", "marker-end": `url(#${inherits ? "schema-triangle" : "schema-arrow"})` };
    if (e.relation === "many-to-many") attrs["marker-start"] = "url(#schema-arrow)";
    line.append(svg("path", attrs));
    const text = e.field ? `${e.field} · ${LABELS[e.relation] || e.relation}` : LABELS[e.relation] || e.relation;
    const width = text.length * 6.2 + 10;
    const label = svg("g", { class: `edge-label edge-${e.relation}`, "data-edge-label": name });
    label.append(svg("rect", { class: "label-bg", x: mid.x - width / 2, y: mid.y - 9, width, height: 16, rx: 3 }));
    label.append(svg("text", { class: "label", x: mid.x, y: mid.y + 3, "text-anchor": "middle" }, text));
    return [line, label];
  }

  function draw(root, graph, app) {
    const { nodes, edges } = prepare(graph, app);
    edges.forEach((e, i) => { e.index = i; });
    const placed = layout(nodes, edges);
    const apps = [...new Set(graph.nodes.map((n) => n.app))].sort();
    const colour = (n) => (n.outside ? "#8894a6" : PALETTE[apps.indexOf(n.app) % PALETTE.length]);
    const points = anchors(edges, placed.byId);
    const lines = svg("g", { class: "edges" });
    const labels = svg("g", { class: "edge-labels" });
    edges.forEach((e) => {
      const [line, label] = drawEdge(e, placed.byId, points);
      lines.append(line);
      labels.append(label);
    });
    const canvas = svg("g", { class: "canvas" });
    canvas.append(lines, ...placed.nodes.map((n) => drawNode(n, colour(n))), labels);
    root.svg.replaceChildren(defs(), canvas);
    root.svg.setAttribute("aria-label", `Schema diagram: ${nodes.filter((n) => !n.ghost).length} models, ${edges.length} relations`);
    root.content = { x: -20, y: -20, width: placed.width + 100, height: placed.height + 40 };
    fit(root);
  }

  function setView(root, view) {
    root.view = view;
    root.svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.width} ${view.height}`);
  }

  // The whole diagram in view, but never drawn larger than life (small schemas stay crisp).
  function fit(root) {
    const box = root.svg.getBoundingClientRect();
    const c = root.content;
    const scale = Math.max(c.width / Math.max(1, box.width), c.height / Math.max(1, box.height), 1);
    const width = box.width * scale;
    const height = box.height * scale;
    setView(root, { x: c.x - (width - c.width) / 2, y: c.y - (height - c.height) / 2, width, height });
  }

  function zoom(root, factor, cx, cy) {
    const v = root.view;
    const px = cx === undefined ? v.x + v.width / 2 : cx;
    const py = cy === undefined ? v.y + v.height / 2 : cy;
    setView(root, { x: px - (px - v.x) * factor, y: py - (py - v.y) * factor, width: v.width * factor, height: v.height * factor });
  }

  function toDiagram(root, event) {
    const box = root.svg.getBoundingClientRect();
    const v = root.view;
    return { x: v.x + ((event.clientX - box.left) / box.width) * v.width, y: v.y + ((event.clientY - box.top) / box.height) * v.height };
  }

  function interact(root) {
    root.svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      const p = toDiagram(root, event);
      zoom(root, event.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    let drag = null;
    root.svg.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, y: event.clientY, view: root.view };
      root.svg.setPointerCapture(event.pointerId);
      root.svg.classList.add("dragging");
    });
    root.svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const box = root.svg.getBoundingClientRect();
      const dx = ((event.clientX - drag.x) / box.width) * drag.view.width;
      const dy = ((event.clientY - drag.y) / box.height) * drag.view.height;
      setView(root, Object.assign({}, drag.view, { x: drag.view.x - dx, y: drag.view.y - dy }));
    });
    const stop = () => { drag = null; root.svg.classList.remove("dragging"); };
    root.svg.addEventListener("pointerup", stop);
    root.svg.addEventListener("pointercancel", stop);
    root.element.addEventListener("click", (event) => {
      const action = event.target.closest("[data-diagram-action]");
      if (!action) return;
      const name = action.dataset.diagramAction;
      if (name === "fit") fit(root);
      else zoom(root, name === "zoom-in" ? 1 / 1.25 : 1.25);
    });
    // From the keyboard once focused: arrows pan, + and - zoom, 0 fits.
    root.svg.addEventListener("keydown", (event) => {
      const v = root.view;
      const step = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] }[event.key];
      if (step) setView(root, Object.assign({}, v, { x: v.x + step[0] * v.width, y: v.y + step[1] * v.height }));
      else if (event.key === "+" || event.key === "=") zoom(root, 1 / 1.25);
      else if (event.key === "-") zoom(root, 1.25);
      else if (event.key === "0") fit(root);
      else return;
      event.preventDefault();
    });
    root.filter.addEventListener("change", () => draw(root, root.graph, root.filter.value));
  }

  function fillFilter(root, graph) {
    const apps = [...new Set(graph.nodes.map((n) => n.app))].sort();
    const current = root.filter.value;
    const all = document.createElement("option");
    all.value = "";
    all.textContent = `All apps (${graph.nodes.length} models)`;
    root.filter.replaceChildren(all, ...apps.map((app) => {
      const option = document.createElement("option");
      option.value = app;
      option.textContent = `${app} (${graph.nodes.filter((n) => n.app === app).length})`;
      return option;
    }));
    root.filter.value = apps.includes(current) ? current : "";
  }

  const roots = new WeakMap();

  // Draw (or redraw, when the graph changed) the diagram in its container.
  function render(element, graph) {
    let root = roots.get(element);
    if (!root) {
      root = { element, svg: element.querySelector("svg"), filter: element.querySelector("[data-diagram-app]") };
      roots.set(element, root);
      interact(root);
    }
    const signature = JSON.stringify(graph);
    if (root.signature === signature) return;
    root.signature = signature;
    root.graph = graph;
    fillFilter(root, graph);
    element.dataset.models = String(graph.nodes.length);
    draw(root, graph, root.filter.value);
  }

  window.djdeskSchemaDiagram = { render };

  document.addEventListener("DOMContentLoaded", () => {
    const element = document.querySelector("[data-schema-diagram]");
    const data = document.getElementById("schema-graph");
    if (element && data) render(element, JSON.parse(data.textContent));
  });
})();

// Flowstead canvas: pan, zoom, drag to move, drag from a handle to connect, SVG edges,
// palette drops, delete, undo, and the debounced save of positions and edges.
// Node settings are server-rendered forms (htmx); this script only talks JSON to
// /workflows/<id>/{nodes,structure,undo,graph}. No framework, no build step.
(function () {
  "use strict";

  const SAVE_DELAY = 400;
  const MIN_ZOOM = 0.25;
  const MAX_ZOOM = 2;
  const DRAG_SLOP = 4;
  const SVG_NS = "http://www.w3.org/2000/svg";

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function edgePath(x1, y1, x2, y2) {
    const dx = Math.max(40, Math.abs(x2 - x1) / 2);
    return "M" + x1 + " " + y1 + " C" + (x1 + dx) + " " + y1 + " " + (x2 - dx) + " " + y2 + " " + x2 + " " + y2;
  }

  class Canvas {
    constructor(root) {
      this.root = root;
      this.readonly = root.dataset.readonly === "true";
      this.workflow = root.dataset.workflow || "";
      this.viewport = root.querySelector(".viewport");
      this.world = root.querySelector(".world");
      this.view = { x: 40, y: 40, k: 1 };
      this.selectedNode = null;
      this.selectedEdge = null;
      this.pending = { positions: {}, deleted: [], edges: false };
      this.timer = null;
      this.queue = Promise.resolve();
      this.lastField = null;
      this.readEdges();
      this.bind();
      this.restoreView();
      this.drawEdges();
    }

    // --- geometry ------------------------------------------------------------------------
    node(id) { return document.getElementById("node-" + id); }

    svg() { return this.world.querySelector("svg.edges"); }

    cardsBox() { return this.world.querySelector(".cards"); }

    worldPoint(clientX, clientY) {
      const rect = this.viewport.getBoundingClientRect();
      return { x: (clientX - rect.left - this.view.x) / this.view.k, y: (clientY - rect.top - this.view.y) / this.view.k };
    }

    center(el) {
      const r = el.getBoundingClientRect();
      return this.worldPoint(r.left + r.width / 2, r.top + r.height / 2);
    }

    topLeft(el) {
      const r = el.getBoundingClientRect();
      return this.worldPoint(r.left, r.top);
    }

    ownHandles(el, selector) {
      return Array.from(el.querySelectorAll(selector)).filter((h) => h.closest(".node") === el);
    }

    outPoint(id, handle) {
      const el = this.node(id);
      if (!el) return null;
      const handles = this.ownHandles(el, ".handle.out");
      const found = handles.find((h) => (h.dataset.handle || "") === (handle || "")) || handles.find((h) => !h.dataset.handle);
      if (found) return this.center(found);
      const tl = this.topLeft(el);
      return { x: tl.x + el.offsetWidth, y: tl.y + 24 };
    }

    inPoint(id) {
      const el = this.node(id);
      if (!el) return null;
      const handle = this.ownHandles(el, ".handle.in")[0];
      if (handle) return this.center(handle);
      const tl = this.topLeft(el);
      return { x: tl.x, y: tl.y + 24 };
    }

    // --- edges ---------------------------------------------------------------------------
    readEdges() {
      this.edges = Array.from(this.world.querySelectorAll("g.edge")).map((g) => ({
        from: g.dataset.from, handle: g.dataset.handle || null, to: g.dataset.to, el: g,
      }));
    }

    edgeElement(edge) {
      const g = document.createElementNS(SVG_NS, "g");
      g.setAttribute("class", "edge");
      g.dataset.from = edge.from;
      g.dataset.handle = edge.handle || "";
      g.dataset.to = edge.to;
      if (!this.readonly) {
        const hit = document.createElementNS(SVG_NS, "path");
        hit.setAttribute("class", "edge-hit");
        g.appendChild(hit);
      }
      const line = document.createElementNS(SVG_NS, "path");
      line.setAttribute("class", "edge-line");
      g.appendChild(line);
      this.svg().appendChild(g);
      return g;
    }

    drawEdges() {
      const paths = this.edges.map((edge) => {
        const a = this.outPoint(edge.from, edge.handle);
        const b = this.inPoint(edge.to);
        return a && b ? edgePath(a.x, a.y, b.x, b.y) : null;
      });
      this.edges.forEach((edge, index) => {
        edge.el.style.display = paths[index] ? "" : "none";
        if (paths[index]) edge.el.querySelectorAll("path").forEach((p) => p.setAttribute("d", paths[index]));
      });
    }

    // --- view: pan and zoom --------------------------------------------------------------
    applyView() {
      this.world.style.transform = "translate(" + this.view.x + "px," + this.view.y + "px) scale(" + this.view.k + ")";
      const label = this.root.querySelector("#zoom-level");
      if (label) label.textContent = Math.round(this.view.k * 100) + "%";
      if (this.workflow) {
        try { localStorage.setItem("flowstead:view:" + this.workflow, JSON.stringify(this.view)); } catch (e) { /* private mode */ }
      }
    }

    restoreView() {
      let saved = null;
      if (this.workflow) {
        try { saved = JSON.parse(localStorage.getItem("flowstead:view:" + this.workflow) || "null"); } catch (e) { saved = null; }
      }
      if (saved && typeof saved.k === "number") {
        this.view = saved;
        this.applyView();
      } else {
        this.applyView();
        this.fit();
      }
    }

    zoomAt(factor, clientX, clientY) {
      const rect = this.viewport.getBoundingClientRect();
      const px = clientX === undefined ? rect.width / 2 : clientX - rect.left;
      const py = clientY === undefined ? rect.height / 2 : clientY - rect.top;
      const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.view.k * factor));
      this.view.x = px - (px - this.view.x) * (k / this.view.k);
      this.view.y = py - (py - this.view.y) * (k / this.view.k);
      this.view.k = k;
      this.applyView();
    }

    fit() {
      const cards = Array.from(this.world.querySelectorAll(".cards > .node"));
      if (!cards.length) { this.view = { x: 40, y: 40, k: 1 }; this.applyView(); return; }
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      cards.forEach((el) => {
        const x = parseFloat(el.style.left) || 0, y = parseFloat(el.style.top) || 0;
        minX = Math.min(minX, x); minY = Math.min(minY, y);
        maxX = Math.max(maxX, x + el.offsetWidth); maxY = Math.max(maxY, y + el.offsetHeight);
      });
      const rect = this.viewport.getBoundingClientRect();
      const pad = 40;
      const k = Math.min(1.2, Math.max(MIN_ZOOM, Math.min((rect.width - 2 * pad) / (maxX - minX || 1), (rect.height - 2 * pad) / (maxY - minY || 1))));
      this.view = { k: k, x: (rect.width - (maxX - minX) * k) / 2 - minX * k, y: (rect.height - (maxY - minY) * k) / 2 - minY * k };
      this.applyView();
    }

    // --- pointer handling ----------------------------------------------------------------
    bind() {
      this.viewport.addEventListener("pointerdown", (e) => this.onPointerDown(e));
      this.viewport.addEventListener("wheel", (e) => {
        e.preventDefault();
        this.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX, e.clientY);
      }, { passive: false });
      this.root.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
        const what = b.dataset.zoom;
        if (what === "in") this.zoomAt(1.2);
        else if (what === "out") this.zoomAt(1 / 1.2);
        else if (what === "reset") this.zoomAt(1 / this.view.k);
        else this.fit();
      }));
      window.addEventListener("resize", () => this.drawEdges());
      if (this.readonly) return;
      this.root.addEventListener("keydown", (e) => this.onKey(e));
      document.addEventListener("keydown", (e) => this.onGlobalKey(e));
      const undo = document.getElementById("undo");
      if (undo) undo.addEventListener("click", () => this.undo());
      const del = document.getElementById("delete-edge");
      if (del) del.addEventListener("click", () => this.deleteSelectedEdge());
      this.bindPalette();
      this.bindPanel();
    }

    onPointerDown(e) {
      if (e.button !== 0) return;
      const handle = e.target.closest(".handle.out");
      const node = e.target.closest(".node");
      const hit = e.target.closest(".edge-hit");
      if (!this.readonly && handle && node) return this.startConnect(e, node, handle);
      if (!this.readonly && hit) { this.selectEdge(this.edges.find((edge) => edge.el === hit.parentNode)); return; }
      if (!this.readonly && node && e.target.closest(".node-head")) return this.startMove(e, node);
      if (node && !this.readonly) { this.select(node.dataset.id); return; }
      this.startPan(e);
    }

    track(e, move, up) {
      const target = e.target;
      const pointer = e.pointerId;
      try { target.setPointerCapture(pointer); } catch (err) { /* not capturable */ }
      const onMove = (ev) => { if (ev.pointerId === pointer) move(ev); };
      const onUp = (ev) => {
        if (ev.pointerId !== pointer) return;
        window.removeEventListener("pointermove", onMove);
        window.removeEventListener("pointerup", onUp);
        window.removeEventListener("pointercancel", onUp);
        up(ev);
      };
      window.addEventListener("pointermove", onMove);
      window.addEventListener("pointerup", onUp);
      window.addEventListener("pointercancel", onUp);
    }

    startPan(e) {
      const start = { x: e.clientX, y: e.clientY, vx: this.view.x, vy: this.view.y };
      let moved = false;
      this.viewport.classList.add("panning");
      this.track(e, (ev) => {
        if (Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) > DRAG_SLOP) moved = true;
        this.view.x = start.vx + ev.clientX - start.x;
        this.view.y = start.vy + ev.clientY - start.y;
        this.world.style.transform = "translate(" + this.view.x + "px," + this.view.y + "px) scale(" + this.view.k + ")";
      }, () => {
        this.viewport.classList.remove("panning");
        this.applyView();
        if (!moved && !this.readonly) this.select(null);
      });
    }

    startMove(e, node) {
      e.preventDefault();
      const start = { x: e.clientX, y: e.clientY, left: parseFloat(node.style.left) || 0, top: parseFloat(node.style.top) || 0 };
      let moved = false;
      this.track(e, (ev) => {
        const dx = (ev.clientX - start.x) / this.view.k, dy = (ev.clientY - start.y) / this.view.k;
        if (!moved && Math.abs(dx) + Math.abs(dy) < DRAG_SLOP) return;
        moved = true;
        node.style.left = Math.round(start.left + dx) + "px";
        node.style.top = Math.round(start.top + dy) + "px";
        this.drawEdges();
      }, () => {
        if (moved) {
          this.pending.positions[node.dataset.id] = [parseFloat(node.style.left), parseFloat(node.style.top)];
          this.scheduleSave();
        }
        this.select(node.dataset.id);
      });
    }

    startConnect(e, node, handle) {
      e.preventDefault();
      e.stopPropagation();
      const from = node.dataset.id;
      const name = handle.dataset.handle || null;
      const temp = { from: from, handle: name, to: null, el: this.edgeElement({ from: from, handle: name, to: "" }) };
      temp.el.classList.add("temp");
      handle.classList.add("active");
      let target = null;
      const start = this.center(handle);
      this.track(e, (ev) => {
        const p = this.worldPoint(ev.clientX, ev.clientY);
        temp.el.querySelectorAll("path").forEach((path) => path.setAttribute("d", edgePath(start.x, start.y, p.x, p.y)));
        const under = document.elementFromPoint(ev.clientX, ev.clientY);
        const over = under ? under.closest(".node") : null;
        const next = over && over !== node && over.dataset.type !== "start" ? over : null;
        if (next !== target) {
          if (target) target.classList.remove("drop-target");
          target = next;
          if (target) target.classList.add("drop-target");
        }
      }, () => {
        handle.classList.remove("active");
        temp.el.remove();
        if (!target) return;
        target.classList.remove("drop-target");
        const to = target.dataset.id;
        const exists = this.edges.some((x) => x.from === from && x.to === to && (x.handle || null) === name);
        if (exists) return;
        const edge = { from: from, handle: name, to: to };
        edge.el = this.edgeElement(edge);
        this.edges.push(edge);
        this.drawEdges();
        this.pending.edges = true;
        this.scheduleSave();
      });
    }

    // --- selection -----------------------------------------------------------------------
    select(id) {
      this.selectEdge(null);
      this.world.querySelectorAll(".node.selected").forEach((n) => n.classList.remove("selected"));
      this.selectedNode = id && this.node(id) ? id : null;
      const panel = document.getElementById("panel");
      if (!panel || !window.htmx) return;
      showTab("inspect");
      if (this.selectedNode) {
        this.node(id).classList.add("selected");
        const current = panel.querySelector(".panel-head[data-node]");
        if (current && current.dataset.node === id) return;
        this.afterSave(() => htmx.ajax("GET", "/workflows/" + this.workflow + "/nodes/" + encodeURIComponent(id), { target: "#panel", swap: "innerHTML" }));
      } else if (panel.querySelector(".panel-head[data-node]") || !panel.children.length) {
        this.afterSave(() => htmx.ajax("GET", "/workflows/" + this.workflow + "/panel", { target: "#panel", swap: "innerHTML" }));
      }
    }

    selectEdge(edge) {
      this.edges.forEach((x) => x.el.classList.remove("selected"));
      this.selectedEdge = edge || null;
      const tools = document.getElementById("edge-tools");
      if (edge) {
        this.world.querySelectorAll(".node.selected").forEach((n) => n.classList.remove("selected"));
        edge.el.classList.add("selected");
      }
      if (tools) tools.hidden = !edge;
    }

    reveal(id) {
      const el = this.node(id);
      if (!el) return;
      const rect = this.viewport.getBoundingClientRect();
      const c = this.center(el);
      this.view.x = rect.width / 2 - c.x * this.view.k;
      this.view.y = rect.height / 2 - c.y * this.view.k;
      this.applyView();
      this.select(id);
      el.focus({ preventScroll: true });
    }

    // --- deleting ------------------------------------------------------------------------
    deleteSelectedEdge() {
      const edge = this.selectedEdge;
      if (!edge) return;
      edge.el.remove();
      this.edges = this.edges.filter((x) => x !== edge);
      this.selectEdge(null);
      this.pending.edges = true;
      this.scheduleSave(0);
    }

    deleteNode(id) {
      const el = this.node(id);
      if (!el) return;
      const gone = new Set([id]);
      el.querySelectorAll(".node").forEach((child) => gone.add(child.dataset.id));
      el.remove();
      this.edges = this.edges.filter((edge) => {
        if (gone.has(edge.from) || gone.has(edge.to)) { edge.el.remove(); return false; }
        return true;
      });
      this.pending.deleted.push(id);
      gone.forEach((x) => delete this.pending.positions[x]);
      this.pending.edges = true;
      this.selectedNode = null;
      this.select(null);
      this.scheduleSave(0);
    }

    onKey(e) {
      if (isTyping(e.target)) return;
      const node = e.target.closest && e.target.closest(".node");
      if (node && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); this.select(node.dataset.id); return; }
      if (e.key === "Delete" || e.key === "Backspace") {
        if (this.selectedEdge) { e.preventDefault(); this.deleteSelectedEdge(); }
        else if (this.selectedNode) { e.preventDefault(); this.deleteNode(this.selectedNode); }
        return;
      }
      const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (node && steps[e.key]) {
        e.preventDefault();
        const step = e.shiftKey ? 50 : 10;
        node.style.left = (parseFloat(node.style.left) || 0) + steps[e.key][0] * step + "px";
        node.style.top = (parseFloat(node.style.top) || 0) + steps[e.key][1] * step + "px";
        this.pending.positions[node.dataset.id] = [parseFloat(node.style.left), parseFloat(node.style.top)];
        this.drawEdges();
        this.scheduleSave();
      }
    }

    onGlobalKey(e) {
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z" && !isTyping(e.target)) {
        e.preventDefault();
        this.undo();
      } else if (e.key === "Escape" && !isTyping(e.target)) {
        this.select(null);
      }
    }

    // --- the palette ---------------------------------------------------------------------
    bindPalette() {
      document.querySelectorAll(".palette-item").forEach((item) => {
        item.addEventListener("pointerdown", (e) => this.startPaletteDrag(e, item));
        item.addEventListener("click", (e) => {
          if (e.detail !== 0) return; // a mouse press is handled by the drag code
          const p = this.freeSpot();
          this.addNode(item.dataset.type, p.x, p.y, null);
        });
      });
    }

    startPaletteDrag(e, item) {
      if (e.button !== 0) return;
      e.preventDefault();
      const start = { x: e.clientX, y: e.clientY };
      let ghost = null;
      this.track(e, (ev) => {
        if (!ghost && Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) < DRAG_SLOP) return;
        if (!ghost) {
          ghost = item.cloneNode(true);
          ghost.classList.add("palette-ghost");
          ghost.style.width = item.offsetWidth + "px";
          document.body.appendChild(ghost);
        }
        ghost.style.left = ev.clientX - 20 + "px";
        ghost.style.top = ev.clientY - 14 + "px";
      }, (ev) => {
        if (ghost) ghost.remove();
        const type = item.dataset.type;
        if (!ghost) {
          const p = this.freeSpot();
          this.addNode(type, p.x, p.y, null);
          return;
        }
        const rect = this.viewport.getBoundingClientRect();
        if (ev.clientX < rect.left || ev.clientX > rect.right || ev.clientY < rect.top || ev.clientY > rect.bottom) return;
        const p = this.worldPoint(ev.clientX, ev.clientY);
        const under = document.elementFromPoint(ev.clientX, ev.clientY);
        const container = under ? under.closest(".node.container") : null;
        let x = p.x - 20, y = p.y - 20, parent = null;
        if (container && !["iteration", "loop", "start", "end", "answer"].includes(type)) {
          const tl = this.topLeft(container);
          parent = container.dataset.id;
          x = Math.max(16, p.x - tl.x - 20);
          y = Math.max(64, p.y - tl.y - 20);
        }
        this.addNode(type, x, y, parent);
      });
    }

    // The middle of the view, moved down and right until no top-level card is there.
    freeSpot() {
      const rect = this.viewport.getBoundingClientRect();
      const p = this.worldPoint(rect.left + rect.width / 2 - 110, rect.top + rect.height / 2 - 24);
      const cards = Array.from(this.world.querySelectorAll(".cards > .node")).map((el) => ({
        x: parseFloat(el.style.left) || 0, y: parseFloat(el.style.top) || 0, w: el.offsetWidth, h: el.offsetHeight,
      }));
      const taken = (x, y) => cards.some((c) => x < c.x + c.w + 20 && x + 240 > c.x && y < c.y + c.h + 20 && y + 68 > c.y);
      for (let step = 0; step < 30 && taken(p.x, p.y); step++) p.y += 80;
      return p;
    }

    addNode(type, x, y, parent) {
      this.flush();
      this.enqueue(() => this.post("/nodes", { type: type, x: Math.round(x), y: Math.round(y), parent: parent }).then((data) => {
        if (data.error) { window.flowsteadToast && window.flowsteadToast(data.error, true); return; }
        const holder = document.createElement("div");
        holder.innerHTML = data.card.trim();
        const card = holder.firstElementChild;
        const frame = parent ? this.world.querySelector('[data-frame="' + parent + '"]') : null;
        (frame || this.cardsBox()).appendChild(card);
        if (window.htmx) htmx.process(card);
        const empty = document.getElementById("canvas-empty");
        if (empty) empty.remove();
        this.applyIssues(data.issues);
        this.setUndo(data.can_undo);
        this.drawEdges();
        this.select(data.node_id);
        card.focus({ preventScroll: true });
      }));
    }

    // --- saving --------------------------------------------------------------------------
    enqueue(task) {
      this.queue = this.queue.then(task).catch((err) => {
        this.setSaveState("Not saved: " + err.message, true);
      });
      return this.queue;
    }

    afterSave(task) { return this.enqueue(() => task()); }

    post(path, body) {
      return fetch("/workflows/" + this.workflow + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
        body: JSON.stringify(body || {}),
        credentials: "same-origin",
      }).then((response) => {
        if (response.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname); throw new Error("logged out"); }
        return response.json().then((data) => {
          if (!response.ok && !data.error) throw new Error(data.message || "the server answered " + response.status);
          return data;
        });
      });
    }

    scheduleSave(delay) {
      this.setSaveState("Unsaved changes…");
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), delay === undefined ? SAVE_DELAY : delay);
    }

    flush() {
      clearTimeout(this.timer);
      const p = this.pending;
      if (!Object.keys(p.positions).length && !p.deleted.length && !p.edges) return this.queue;
      const body = { positions: p.positions, deleted: p.deleted };
      if (p.edges) body.edges = this.edges.map((edge) => ({ from: edge.from, to: edge.to, handle: edge.handle }));
      this.pending = { positions: {}, deleted: [], edges: false };
      this.setSaveState("Saving…");
      return this.enqueue(() => this.post("/structure", body).then((data) => {
        this.applyIssues(data.issues);
        this.setUndo(data.can_undo);
        this.setSaveState("Saved");
      }));
    }

    undo() {
      this.flush();
      this.setSaveState("Undoing…");
      return this.enqueue(() => this.post("/undo").then((data) => {
        this.replaceGraph(data.graph);
        this.applyIssues(data.issues);
        this.setUndo(data.can_undo);
        this.setSaveState(data.undone ? "Undone" : "Nothing to undo");
      }));
    }

    reload(selectId) {
      this.flush();
      return this.enqueue(() => fetch("/workflows/" + this.workflow + "/graph", { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => r.json())
        .then((data) => {
          this.replaceGraph(data.graph);
          this.applyIssues(data.issues);
          this.setUndo(data.can_undo);
          if (selectId) this.select(selectId);
        }));
    }

    replaceGraph(html) {
      const keep = this.selectedNode;
      this.world.innerHTML = html;
      if (window.htmx) htmx.process(this.world);
      this.readEdges();
      this.drawEdges();
      this.selectedNode = null;
      if (keep && this.node(keep)) {
        this.node(keep).classList.add("selected");
        this.selectedNode = keep;
        if (window.htmx) htmx.ajax("GET", "/workflows/" + this.workflow + "/nodes/" + encodeURIComponent(keep), { target: "#panel", swap: "innerHTML" });
      } else {
        this.select(null);
      }
    }

    setSaveState(text, isError) {
      const el = document.getElementById("save-state");
      if (el) { el.textContent = text; el.classList.toggle("danger-link", !!isError); }
    }

    setUndo(can) {
      const button = document.getElementById("undo");
      if (button) button.disabled = !can;
    }

    // --- issues --------------------------------------------------------------------------
    applyIssues(payload) {
      if (!payload) return;
      const nodes = payload.nodes || {};
      let count = (payload.general || []).length, errors = (payload.general || []).filter((i) => i.severity === "error").length;
      this.world.querySelectorAll(".node").forEach((el) => {
        const found = nodes[el.dataset.id] || [];
        const bad = found.filter((i) => i.severity === "error").length;
        count += found.length;
        errors += bad;
        el.classList.toggle("has-errors", bad > 0);
        el.classList.toggle("has-warnings", bad === 0 && found.length > 0);
        const badge = el.querySelector(":scope > .node-head .node-badge");
        if (badge) { badge.textContent = found.length; badge.hidden = !found.length; }
        const head = el.querySelector(":scope > .node-head");
        if (head) head.title = found.map((i) => i.message).join("\n") || "";
      });
      const list = document.getElementById("general-issues");
      if (list) {
        list.replaceChildren(...(payload.general || []).map((issue) => {
          const li = document.createElement("li");
          li.className = issue.severity;
          li.textContent = issue.message;
          return li;
        }));
      }
      const summary = document.getElementById("issue-summary");
      if (summary) {
        summary.textContent = count ? count + (count === 1 ? " issue" : " issues") : "No issues";
        summary.dataset.errors = String(errors);
      }
    }

    markFieldErrors(errors) {
      const form = document.getElementById("node-form");
      if (!form) return;
      form.querySelectorAll("[data-error-for]").forEach((p) => {
        const message = errors[p.dataset.errorFor];
        p.textContent = message || "";
        p.hidden = !message;
        const control = form.elements[p.dataset.errorFor];
        if (control && control.setAttribute) {
          if (message) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
        }
      });
    }

    // --- the side panel ------------------------------------------------------------------
    bindPanel() {
      document.body.addEventListener("flowstead:issues", (e) => this.applyIssues(e.detail));
      document.body.addEventListener("flowstead:field-errors", (e) => this.markFieldErrors(e.detail || {}));
      document.body.addEventListener("flowstead:undo", (e) => this.setUndo(e.detail && e.detail.value !== undefined ? e.detail.value : e.detail));
      document.body.addEventListener("flowstead:reload", (e) => this.reload(e.detail && e.detail.select));
      document.body.addEventListener("htmx:oobAfterSwap", (e) => {
        const el = e.detail.target;
        if (el && el.classList && el.classList.contains("node")) {
          if (el.dataset.id === this.selectedNode) el.classList.add("selected");
          this.drawEdges();
        }
      });
      document.body.addEventListener("htmx:beforeRequest", (e) => {
        if (e.detail.elt && e.detail.elt.id === "node-form") this.setSaveState("Saving…");
        // The panel edits edges on the server: send the canvas's own changes first.
        if (e.detail.elt && e.detail.elt.hasAttribute && e.detail.elt.hasAttribute("data-flush-canvas")) this.flush();
      });
      document.body.addEventListener("htmx:afterRequest", (e) => {
        if (e.detail.elt && e.detail.elt.id === "node-form") this.setSaveState(e.detail.successful ? "Saved" : "Not saved", !e.detail.successful);
      });
      document.addEventListener("focusin", (e) => {
        const field = e.target;
        if (field.closest && field.closest("#node-form") && (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && field.type === "text"))) {
          this.lastField = field;
        }
      });
      document.addEventListener("click", (e) => {
        const insert = e.target.closest("[data-insert]");
        if (insert) { this.insertVariable(insert.dataset.insert); return; }
        const selectButton = e.target.closest("[data-select]");
        if (selectButton) { this.reveal(selectButton.dataset.select); return; }
        const del = e.target.closest("[data-delete-node]");
        if (del) this.deleteNode(del.dataset.deleteNode);
        const issues = e.target.closest("#issue-summary");
        if (issues) {
          const box = document.getElementById("general-issues-box");
          box.hidden = !box.hidden;
          issues.setAttribute("aria-expanded", String(!box.hidden));
          if (!box.hidden && !box.querySelector("li")) {
            box.hidden = true;
            showTab("inspect");
            this.select(null);
          }
        }
      });
    }

    insertVariable(selector) {
      const field = this.lastField && document.body.contains(this.lastField) ? this.lastField : null;
      if (!field) {
        window.flowsteadToast && window.flowsteadToast("Click into a field first, then pick the value to insert.");
        return;
      }
      if (field.dataset.kind === "selector") {
        field.value = selector;
      } else {
        const text = "{{ " + selector + " }}";
        const start = field.selectionStart ?? field.value.length, end = field.selectionEnd ?? field.value.length;
        field.value = field.value.slice(0, start) + text + field.value.slice(end);
        field.selectionStart = field.selectionEnd = start + text.length;
      }
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function isTyping(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function showTab(which) {
    const inspect = document.getElementById("tab-inspect"), run = document.getElementById("tab-run");
    if (!inspect || !run) return;
    const panel = document.getElementById("panel"), runPanel = document.getElementById("run-panel");
    inspect.setAttribute("aria-selected", String(which === "inspect"));
    run.setAttribute("aria-selected", String(which === "run"));
    panel.hidden = which !== "inspect";
    runPanel.hidden = which !== "run";
    if (which === "run" && !runPanel.dataset.loaded && runPanel.querySelector("p.muted") && window.htmx) {
      runPanel.dataset.loaded = "true";
      htmx.trigger(runPanel, "flowstead:open-run");
    }
  }
  window.flowsteadShowTab = showTab;

  function init(scope) {
    scope.querySelectorAll(".canvas:not([data-ready])").forEach(function (root) {
      root.dataset.ready = "true";
      const canvas = new Canvas(root);
      if (root.id === "canvas") window.flowsteadCanvas = canvas;
    });
  }

  document.addEventListener("htmx:load", function (e) {
    if (e.detail.elt && e.detail.elt.querySelectorAll) init(e.detail.elt);
  });

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    const inspect = document.getElementById("tab-inspect"), run = document.getElementById("tab-run");
    if (inspect && run) {
      inspect.addEventListener("click", function () { showTab("inspect"); });
      run.addEventListener("click", function () { showTab("run"); });
    }
    window.addEventListener("beforeunload", function () {
      if (window.flowsteadCanvas) window.flowsteadCanvas.flush();
    });
  });
})();

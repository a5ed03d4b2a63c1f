// Flowstead live runs: follows a run's event stream (/api/runs/<id>/events, SSE whose ids
// are the event sequence numbers, so the browser resumes with Last-Event-ID after a drop)
// and shows node states, streamed text and outputs. Used by the run panel, the chat pane
// and a run's detail page, on any element with data-run-id and data-events.
(function () {
  "use strict";

  const NODE_EVENTS = ["run_started", "node_started", "node_finished", "node_skipped", "node_retry", "text_chunk", "run_finished",
    "iteration_started", "iteration_next", "iteration_completed", "loop_started", "loop_next", "loop_completed"];
  const STATUS_CLASS = { succeeded: "ok", partial_succeeded: "warn", failed: "bad", exception: "warn", stopped: "muted", skipped: "muted", running: "info", queued: "info" };

  function paint(nodeId, state) {
    const card = document.getElementById("node-" + nodeId);
    if (card && card.closest("#canvas, .canvas")) card.dataset.state = state;
  }

  function clearPaint() {
    document.querySelectorAll("#canvas .node[data-state]").forEach((n) => n.removeAttribute("data-state"));
  }

  function setPill(el, status) {
    if (!el) return;
    el.textContent = status.replace("_", " ");
    el.className = "pill " + (STATUS_CLASS[status] || "muted");
  }

  function follow(root) {
    if (root.dataset.following) return;
    root.dataset.following = "true";
    const chat = root.hasAttribute("data-chat-answer");
    const paintCanvas = root.dataset.paintCanvas === "true";
    const refresh = root.dataset.refresh;
    const status = root.querySelector("[data-run-status]") || (refresh ? document.querySelector("[data-run-status]") : null);
    const list = root.querySelector("[data-run-nodes]");
    const stream = root.querySelector("[data-run-stream]");
    const outputs = root.querySelector("[data-run-outputs]");
    const errorBox = root.querySelector("[data-run-error]");
    const stop = root.querySelector("[data-run-stop]");
    // Chat answers show only what Answer nodes say (an LLM's own stream feeds them).
    const answerNodes = root.dataset.answerNodes ? root.dataset.answerNodes.split(",") : null;
    const parts = {};
    const titles = {};
    const rows = {};
    if (paintCanvas) clearPaint();

    function row(id, title) {
      if (!list) return null;
      if (!rows[id]) {
        const li = document.createElement("li");
        const pill = document.createElement("span");
        const name = document.createElement("span");
        const time = document.createElement("span");
        name.className = "title";
        time.className = "muted small";
        li.append(pill, name, time);
        list.appendChild(li);
        rows[id] = { li: li, pill: pill, name: name, time: time };
      }
      if (title) rows[id].name.textContent = title;
      return rows[id];
    }

    // Each streaming node writes into its own part; with more than one, each is labelled.
    function part(id) {
      if (!parts[id]) {
        const span = document.createElement("span");
        span.className = "stream-part";
        parts[id] = span;
        const labelled = Object.keys(parts).length > 1;
        if (labelled) Object.keys(parts).forEach((key) => label(key));
        stream.appendChild(span);
        if (labelled) label(id);
      }
      return parts[id];
    }

    function label(id) {
      const span = parts[id];
      if (span.dataset.labelled || chat) return;
      span.dataset.labelled = "true";
      const name = document.createElement("strong");
      name.className = "stream-label";
      name.textContent = (titles[id] || id) + ": ";
      span.prepend(name);
    }

    function state(id, value, title, elapsed) {
      if (title) titles[id] = title;
      const r = row(id, title);
      if (r) {
        setPill(r.pill, value);
        if (elapsed !== undefined) r.time.textContent = elapsed < 1 ? Math.round(elapsed * 1000) + " ms" : elapsed.toFixed(2) + " s";
      }
      if (paintCanvas || refresh) paint(id, value);
    }

    const source = new EventSource(root.dataset.events, { withCredentials: true });
    const handlers = {
      run_started: () => setPill(status, "running"),
      node_started: (d) => { if (d.iteration_id == null && d.loop_id == null) state(d.node_id, "running", d.title); },
      node_finished: (d) => { if (d.iteration_id == null && d.loop_id == null) state(d.node_id, d.status, d.title, d.elapsed); },
      node_skipped: (d) => { if (d.iteration_id == null && d.loop_id == null) state(d.node_id, "skipped", d.node_id); },
      node_retry: (d) => {
        const r = row(d.node_id);
        if (r) r.time.textContent = "retrying (" + d.error + ")";
        // The node streams its text again from the start: drop what the failed attempt wrote.
        const span = parts[d.node_id];
        if (span) Array.from(span.childNodes).forEach((n) => { if (n.nodeType === Node.TEXT_NODE) n.remove(); });
      },
      text_chunk: (d) => {
        if (!stream || (answerNodes && !answerNodes.includes(d.node_id))) return;
        part(d.node_id).append(document.createTextNode(d.text));
        const box = chat ? root.closest(".chat-log") : stream;
        if (box) box.scrollTop = box.scrollHeight;
      },
      run_finished: (d) => {
        source.close();
        setPill(status, d.status);
        if (stream) stream.removeAttribute("aria-busy");
        root.classList.remove("streaming");
        if (stop) stop.hidden = true;
        if (chat && stream && !stream.textContent && d.outputs && d.outputs.answer) stream.textContent = d.outputs.answer;
        if (outputs) {
          outputs.hidden = false;
          outputs.querySelector("pre").textContent = JSON.stringify(d.outputs || {}, null, 2);
        }
        if (d.error) {
          if (errorBox) { errorBox.hidden = false; errorBox.textContent = d.error; }
          else if (chat && stream) { stream.textContent = stream.textContent || d.error; root.classList.add("error"); }
        }
        if (refresh && window.htmx) {
          htmx.ajax("GET", refresh, { target: "#run-detail", swap: "outerHTML" });
        }
      },
    };
    NODE_EVENTS.forEach((type) => {
      source.addEventListener(type, (message) => {
        let event;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        const handler = handlers[type];
        if (handler) handler(event.data || {});
      });
    });
    source.onerror = () => {
      // The browser reconnects by itself with Last-Event-ID; a closed stream stays closed.
      if (source.readyState === EventSource.CLOSED && errorBox && !errorBox.textContent) {
        errorBox.hidden = false;
        errorBox.textContent = "Lost the connection to the run. Reload the page to see how it ended.";
      }
    };
  }

  function scan(root) {
    (root.matches && root.matches("[data-run-id][data-events]") ? [root] : [])
      .concat(Array.from(root.querySelectorAll ? root.querySelectorAll("[data-run-id][data-events]") : []))
      .forEach(follow);
  }

  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (e) => scan(e.detail.elt));
})();

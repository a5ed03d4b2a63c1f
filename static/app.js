// Flowstead: small behaviours every page shares (no framework, no build step).
(function () {
  "use strict";

  function toast(message, isError) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.classList.toggle("error", !!isError);
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, isError ? 7000 : 2500);
  }
  window.flowsteadToast = toast;

  // A form that did not validate comes back as 422 with its errors shown: swap it in.
  if (window.htmx) {
    htmx.config.responseHandling = [{ code: "422", swap: true }].concat(htmx.config.responseHandling);
  }

  // htmx does not swap other error answers: show what the server said instead.
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const text = (xhr.responseText || "").trim();
    const plain = text && !text.startsWith("<") ? text : "";
    toast(plain || "The server answered " + xhr.status + ". Please try again.", true);
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server cannot be reached. Is Flowstead running?", true);
  });

  // Copy buttons: data-copy="#selector".
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    const text = source.innerText.trim();
    const done = function () { toast("Copied."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      try { document.execCommand("copy"); done(); } catch (e) { toast("Press Ctrl+C to copy."); }
    }
  });
  function selectText(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Forms with data-reset-field="name …" clear those fields (and focus the first) after a
  // successful htmx request; a refusal (422) leaves what was typed and chosen.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !event.detail.successful || event.detail.xhr.status === 422) return;
    const names = (form.getAttribute("data-reset-field") || "").split(/\s+/).filter(Boolean);
    names.forEach(function (name) { if (form.elements[name]) form.elements[name].value = ""; });
    if (names.length && form.elements[names[0]]) form.elements[names[0]].focus();
  });

  // Enter sends, Shift+Enter breaks the line (chat).
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-submit-on-enter")) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (field.value.trim()) field.form.requestSubmit();
    }
  });

  // Logs: "Follow" refreshes the lines every few seconds.
  let following = null;
  document.addEventListener("change", function (event) {
    if (event.target.id !== "log-follow") return;
    clearInterval(following);
    if (event.target.checked) {
      following = setInterval(function () {
        const form = event.target.form;
        if (form && window.htmx) htmx.trigger(form, "submit");
      }, 3000);
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "log-lines") {
      event.detail.target.scrollTop = event.detail.target.scrollHeight;
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    const box = document.getElementById("log-lines");
    if (box) box.scrollTop = box.scrollHeight;
  });
})();

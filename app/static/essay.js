// The essay page's few lines of JS: a live word count (counted as app.services.essays.essays.count_words does: tokens
// between spaces that hold a letter or a digit) and a visible state for autosaves that did not reach the server.
// Without JS the page is a plain form: "Lưu nháp" and "Nộp bài" post it.
(function () {
  var area = document.getElementById("essay-text");
  var out = document.getElementById("word-count");
  var form = document.getElementById("essay-form");
  if (!area || !out || !form) return;
  var min = Number(area.dataset.min) || 0, max = Number(area.dataset.max) || 0;
  var word = /[\p{L}\p{N}]/u;

  function count() {
    var n = area.value.split(/\s+/).filter(function (t) { return word.test(t); }).length;
    var text = n.toLocaleString("vi-VN") + " " + out.dataset.unit;
    out.classList.remove("short", "long");
    if (n < min) { text += " · " + out.dataset.short + " " + (min - n); out.classList.add("short"); }
    else if (max && n > max) { text += " · " + out.dataset.long + " " + (n - max); out.classList.add("long"); }
    out.textContent = text;
  }
  area.addEventListener("input", count);
  count();

  var state = document.getElementById("draft-state");
  form.addEventListener("htmx:beforeRequest", function () {
    state.innerHTML = '<span class="muted">' + form.dataset.savingText + "</span>";
  });
  function failed() {
    state.innerHTML = "";
    var span = document.createElement("span");
    span.className = "field-error";
    span.textContent = "✗ " + form.dataset.failedText;
    state.appendChild(span);
    form.dataset.failed = "1";
  }
  form.addEventListener("htmx:sendError", failed);
  form.addEventListener("htmx:timeout", failed);
  form.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful) { delete form.dataset.failed; return; }
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status === 0 || xhr.status >= 500) failed();
  });
  // Back online: save what was typed while the connection was down.
  window.addEventListener("online", function () { if (form.dataset.failed) htmx.trigger(form, "change"); });
})();

// The quiz page's few lines of JS. Time comes from the server (remaining seconds when the page was made);
// the phone's clock is never trusted. Without JS the page still works through plain form posts.
(function () {
  var el = document.getElementById("countdown");
  if (el) {
    var end = performance.now() + Number(el.dataset.remaining) * 1000;
    var warned = false;
    // At 0:00 one request ends the attempt (the server takes only what was saved in time), once the saves
    // in flight are answered; a reload here would repeat itself until the server's deadline passed.
    var finish = function (waited) {
      if (document.querySelector(".htmx-request") && waited < 3000) {
        setTimeout(function () { finish(waited + 200); }, 200);
        return;
      }
      var f = document.createElement("form");
      f.method = "post";
      f.action = el.dataset.submit;
      var t = document.createElement("input");
      t.type = "hidden"; t.name = "csrf_token"; t.value = el.dataset.csrf;
      f.appendChild(t);
      document.body.appendChild(f);
      f.submit();
    };
    var tick = function () {
      var s = Math.max(0, Math.round((end - performance.now()) / 1000));
      el.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      if (s <= 60 && !warned) {
        warned = true;
        var bar = el.closest(".quiz-bar");
        if (bar) bar.classList.add("ending");
        var note = document.getElementById("last-minute");
        if (note) note.hidden = false;
      }
      if (s === 0) { finish(0); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }

  var form = document.getElementById("quiz");
  if (!form) return;
  var msg = form.dataset;

  // Answered n/N, counted from the boxes ticked on this page.
  function recount() {
    var n = 0;
    form.querySelectorAll("fieldset.q").forEach(function (fs) {
      var done = !!fs.querySelector("input:checked");
      if (done) n++;
      var cell = document.querySelector('#grid a[data-q="' + fs.id.slice(1) + '"]');
      if (cell) cell.classList.toggle("done", done);
    });
    document.getElementById("answered").textContent = n;
  }
  form.addEventListener("change", recount);

  // A save that never reached the server (no network, timeout, server error) is marked, offered a
  // retry, and retried by itself when the phone is back online. A refusal (time is up) is shown as sent.
  function failed(elt) {
    var box = document.getElementById(elt.getAttribute("hx-target").slice(1));
    elt.dataset.failed = "1";
    box.innerHTML = "";
    var span = document.createElement("span");
    span.className = "field-error";
    span.textContent = "✗ " + msg.failedText;
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "btn secondary small";
    btn.textContent = msg.retryText;
    btn.addEventListener("click", function () { htmx.trigger(elt, "change"); });
    box.appendChild(span);
    box.appendChild(btn);
  }
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var box = document.getElementById((e.detail.elt.getAttribute("hx-target") || "#").slice(1));
    if (box) box.innerHTML = '<span class="muted">' + msg.savingText + "</span>";
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (e.detail.successful) { delete e.detail.elt.dataset.failed; return; }
    if (!xhr || xhr.status === 0 || xhr.status >= 500) failed(e.detail.elt);
  });
  window.addEventListener("online", function () {
    form.querySelectorAll("[data-failed]").forEach(function (elt) { htmx.trigger(elt, "change"); });
  });

  // Page hidden / shown again: a soft signal for the judges, sent without waiting for an answer. Leaving
  // the page (reload, "Lưu", review) hides it too; that is not switching away, so it is not reported.
  var leaving = false;
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });
  document.addEventListener("visibilitychange", function () {
    if (leaving || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("kind", document.visibilityState === "hidden" ? "hide" : "show");
    data.append("csrf_token", msg.csrf);
    navigator.sendBeacon("/attempts/" + msg.attempt + "/events", data);
  });
})();

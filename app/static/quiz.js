// Countdown from the server's remaining seconds (the phone's clock is never trusted for time).
(function () {
  var el = document.getElementById("countdown");
  if (!el) return;
  var end = performance.now() + Number(el.dataset.remaining) * 1000;
  function tick() {
    var s = Math.max(0, Math.round((end - performance.now()) / 1000));
    el.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    if (s === 0) { location.reload(); return; }
    setTimeout(tick, 1000);
  }
  tick();
})();

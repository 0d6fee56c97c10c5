// Reminders on this phone: subscribe with the server's key (Web Push) or turn them off.
(function () {
  const box = document.getElementById("push-box");
  if (!box) return;
  const on = box.querySelector("#push-on");
  const off = box.querySelector("#push-off");
  const note = box.querySelector("#push-note");
  const say = (key) => { note.textContent = box.dataset[key] || ""; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    on.hidden = true;
    off.hidden = true;
    say("unsupported");
    return;
  }
  const csrf = (JSON.parse(document.body.getAttribute("hx-headers") || "{}") || {})["X-CSRF-Token"];
  const bytes = (b64) => {
    const s = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  };
  const registration = () => navigator.serviceWorker.register("/sw.js");
  let acted = false; // once the member has tapped, the first look (show) must not overwrite what the tap said
  async function show(first) {
    const sub = await (await registration()).pushManager.getSubscription();
    if (first && acted) return;
    on.hidden = !!sub;
    off.hidden = !sub;
    say(sub ? "onText" : "offText");
  }
  on.addEventListener("click", async () => {
    acted = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") { say("denied"); return; }
      const reg = await registration();
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(box.dataset.key) });
      const res = await fetch("/api/v1/push/subscriptions", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(sub.toJSON()),
      });
      if (!res.ok) throw new Error(String(res.status));
      await show();
    } catch (e) {
      say("failed");
    }
  });
  off.addEventListener("click", async () => {
    acted = true;
    const sub = await (await registration()).pushManager.getSubscription();
    if (sub) {
      await fetch("/api/v1/push/subscriptions?endpoint=" + encodeURIComponent(sub.endpoint), {
        method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
      });
      await sub.unsubscribe();
    }
    await show();
  });
  show(true).catch(() => say("unsupported"));
})();

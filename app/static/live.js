// Live games (docs/live.md): the host's console, the projector and a player's phone draw the game's state from
// the API. The state comes from the event stream (EventSource, with the login cookie) or, without it or when it
// keeps failing, from GET .../state every 2 s. Times are the server's: the countdown is the deadline minus the
// server's clock, which this page moves on between two states. #live says which view this is (data-view) and
// holds the words to show (data-text); an element shows only in the states its data-when names.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var VIEW = root.dataset.view;
  var T = JSON.parse(root.dataset.text || "{}");
  var API = "/api/v1/live-games/" + root.dataset.game;
  var CSRF = (JSON.parse(document.body.getAttribute("hx-headers") || "{}") || {})["X-CSRF-Token"];
  var LETTERS = "ABCDEFGHIJ";

  var game = null; // the latest state
  var me = null; // the player's own part (phone)
  var skew = null; // the server's clock minus performance.now(), in ms
  var answered = {}; // question index -> true once this player's answer was taken
  var picked = {}; // question index -> the option ids chosen on this phone
  var rescues = {}; // question index -> true for a rescue question (the reveal's state no longer says so)
  var notice = null; // {i, text}: what became of the last tap (phone)
  var sending = false;

  // --- helpers -------------------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function say(key, params) {
    return (T[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return params && params[k] != null ? params[k] : ""; });
  }
  function num(n) { return Number(n || 0).toLocaleString(document.documentElement.lang || "vi"); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function clear(node) { while (node && node.firstChild) node.removeChild(node.firstChild); return node; }
  function time(s) { return Date.parse(String(s).replace(/(\.\d{3})\d+/, "$1")); } // µs are too fine for Date
  function letter(k) { var l = el("span", "live-letter"); l.appendChild(el("b", null, LETTERS[k] || "?")); return l; }
  function call(method, path, body) {
    var headers = { Accept: "application/json", "X-CSRF-Token": CSRF };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(API + path, { method: method, credentials: "same-origin", headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        if (r.status === 401) location.reload(); // logged out: the page sends to the login form
        return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
      });
  }
  function offline(on) { var box = $("live-offline"); if (box) { box.hidden = !on; box.textContent = T.offline; } }

  // --- following the game ----------------------------------------------------------------------------------------
  var source = null, poller = null, lobbyTimer = null, fails = 0;
  function refresh() {
    return call("GET", "/state").then(function (r) {
      offline(false);
      if (r.ok) take(r.data, r.data.me);
      else if (r.status === 404) stop();
    }, function () { offline(true); });
  }
  function follow() {
    if (!window.EventSource) { poll(); return; }
    var opened = 0;
    source = new EventSource(API + "/events");
    source.onopen = function () { opened = Date.now(); offline(false); };
    source.addEventListener("state", function (e) {
      fails = 0;
      var d = JSON.parse(e.data);
      take(d.state, d.me);
    });
    source.onerror = function () {
      if (game && game.status === "finished") { stop(); return; } // the server ended the stream
      if (opened && Date.now() - opened > 30000) fails = 0; // it had been working: a network blip
      fails += 1;
      if (fails > 1) offline(true);
      if (source.readyState === EventSource.CLOSED || fails >= 3) { source.close(); source = null; poll(); }
    };
  }
  function poll() { if (!poller) poller = setInterval(refresh, 2000); }
  function stop() {
    if (source) source.close();
    source = null;
    clearInterval(poller);
    poller = null;
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden && game && game.status !== "finished") refresh(); });

  function take(s, mine) {
    if (!s || (game && s.version < game.version)) return;
    var seen = time(s.now) - performance.now(); // a state is never newer than its arrival: the largest is the best
    if (skew === null || seen > skew) skew = seen;
    var old = game;
    game = s;
    if (s.rescue && s.status === "question") rescues[s.question_index] = true;
    if (mine) { me = mine; if (mine.answered) answered[s.question_index] = true; }
    root.dataset.status = s.status;
    showSections();
    if (!old || old.version !== s.version || old.players !== s.players) {
      VIEWS[VIEW]();
      if (VIEW !== "play" && (!old || old.version !== s.version) && (s.status === "reveal" || s.status === "finished")) ranking();
    }
    watchLobby();
    var count = $("answered-count");
    if (count) count.textContent = s.answered_count != null ? say("answered_count", { n: num(s.answered_count), total: num(s.players) }) : "";
    if (s.status === "finished") stop();
    tick();
  }

  function showSections() {
    var paused = game.paused ? "yes" : "no";
    root.querySelectorAll("[data-when]").forEach(function (node) {
      var on = (" " + node.dataset.when + " ").indexOf(" " + game.status + " ") >= 0;
      node.hidden = !on || (node.dataset.paused != null && node.dataset.paused !== paused);
    });
  }

  // The joined count does not change the game's version: the console and the screen ask again in the lobby.
  function watchLobby() {
    // the lobby's joined players, and on the host's console how many have answered: neither changes the version
    var wanted = VIEW !== "play" && (game.status === "lobby" || (VIEW === "host" && game.status === "question"));
    if (wanted && !lobbyTimer) {
      lobbyTimer = setInterval(function () { refresh(); if (VIEW === "host") ranking(); }, 3000);
      if (VIEW === "host") ranking();
    }
    if (!wanted && lobbyTimer) { clearInterval(lobbyTimer); lobbyTimer = null; }
  }

  // --- the countdown -------------------------------------------------------------------------------------------------
  function leftMs() {
    if (!game || game.status !== "question" || !game.deadline_at || skew === null) return null;
    return Math.max(0, time(game.deadline_at) - (performance.now() + skew));
  }
  var closedAt = -1; // the question whose time ran out on this page
  function tick() {
    var ms = leftMs(), box = $("left");
    if (box) {
      // paused: the seconds the question had left, frozen, beside the word
      var frozen = game.paused && game.paused_left_ms != null ? " " + String(Math.ceil(game.paused_left_ms / 1000)) : "";
      box.textContent = ms === null ? "" : game.paused ? "⏸ " + T.paused + frozen : ms > 0 ? String(Math.ceil(ms / 1000)) : T.time_up;
      box.classList.toggle("low", ms !== null && ms <= 5000 && !game.paused);
    }
    if (VIEW !== "play" || ms === null) return;
    var over = ms === 0 && !game.paused; // time is up here (a resume may give time back)
    if (over !== (closedAt === game.question_index)) {
      closedAt = over ? game.question_index : -1;
      drawPlay();
    }
  }
  setInterval(tick, 250);

  // --- host and screen ------------------------------------------------------------------------------------------------
  function drawStage() {
    var s = game, q = s.question;
    var alive = $("alive");
    if (alive) alive.textContent = say("alive", { n: num(s.alive_count) });
    var joined = $("joined");
    if (joined) joined.textContent = say("players", { n: num(s.players) });
    var next = $("act-next");
    if (next) next.textContent = s.status === "lobby" ? T.start : s.question_index + 1 >= s.question_count ? T.last : T.next;
    if (!q) return;
    $("progress").textContent = say("question_of", { n: s.question_index + 1, total: s.question_count });
    $("rescue-tag").hidden = !rescues[s.question_index];
    $("question").textContent = q.text;
    var list = clear($("options")), counts = {}, most = 1, right = s.correct_option_ids;
    (s.distribution || []).forEach(function (d) { counts[d.option_id] = d.count; most = Math.max(most, d.count); });
    q.options.forEach(function (o, k) {
      var li = el("li", "c" + (k % 6));
      li.appendChild(letter(k));
      li.appendChild(el("span", "live-text", o.text));
      if (right) {
        var ok = right.indexOf(o.id) >= 0, n = counts[o.id] || 0;
        li.classList.add(ok ? "right" : "dim");
        var count = el("span", "live-count", (ok ? "✓ " : "") + say("chose", { n: num(n) }));
        if (ok) count.title = T.right_mark;
        li.appendChild(count);
        var bar = el("span", "live-bar"), fill = el("i");
        fill.style.width = Math.round((n / most) * 100) + "%";
        bar.appendChild(fill);
        li.appendChild(bar);
      }
      list.appendChild(li);
    });
  }

  function ranking() {
    call("GET", "/results").then(function (r) {
      if (!r.ok) return;
      if (game.status === "lobby") drawJoined(r.data.rows);
      else { drawTop(r.data.rows); drawUnits(r.data.units || []); }
    }, function () {});
  }

  function drawJoined(rows) {
    var box = clear($("joined-units"));
    if (!box) return;
    if (!rows.length) { box.appendChild(el("p", "muted", T.nobody)); return; }
    var units = {}, order = [];
    rows.forEach(function (r) {
      var unit = r.guest ? T.guests : r.unit; // guests apart: their unit is their own word
      if (!units[unit]) { units[unit] = []; order.push(unit); }
      units[unit].push(r.player.full_name);
    });
    var list = el("ul", "live-units");
    order.sort().forEach(function (unit) {
      var names = units[unit], li = el("li");
      li.appendChild(el("b", null, unit + " (" + num(names.length) + "): "));
      li.appendChild(document.createTextNode(names.slice(0, 40).join(", ") + (names.length > 40 ? ", …" : "")));
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  // The members' top 10, and the guests' top 5 apart (they are ranked among themselves) when there are guests.
  function drawTop(rows) {
    var box = clear($("top-rows"));
    if (!box) return;
    var guests = rows.filter(function (r) { return r.guest; }), members = rows.filter(function (r) { return !r.guest; });
    box.appendChild(members.length ? topTable(members.slice(0, 10)) : el("p", "muted", T.no_members));
    if (guests.length) { box.appendChild(el("h3", "live-guests", T.guests)); box.appendChild(topTable(guests.slice(0, 5))); }
  }

  function topTable(rows) {
    var table = el("table", "live-top"), body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr"), who = el("td");
      tr.appendChild(el("td", "num", num(r.rank)));
      who.appendChild(el("b", null, r.player.full_name));
      who.appendChild(el("div", "muted small", r.unit + (game.mode === "elimination" && !r.alive ? " · " + T.out_tag : "")));
      tr.appendChild(who);
      tr.appendChild(el("td", "num", say("points", { n: num(r.score) })));
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  // The units of the moment: each unit's players, their average score and, in elimination, how many are still in.
  function drawUnits(units) {
    var box = clear($("unit-rows"));
    if (!box) return;
    if (!units.length) { box.appendChild(el("p", "muted", T.no_members)); return; }
    var table = el("table", "live-top"), body = el("tbody");
    units.slice(0, 10).forEach(function (u) {
      var tr = el("tr"), who = el("td");
      tr.appendChild(el("td", "num", num(u.rank)));
      who.appendChild(el("b", null, u.unit));
      var detail = say("unit_players", { n: num(u.players) });
      if (game.mode === "elimination") detail += " · " + say("unit_alive", { n: num(u.alive) });
      who.appendChild(el("div", "muted small", detail));
      tr.appendChild(who);
      tr.appendChild(el("td", "num", say("unit_average", { n: num(u.average_score) })));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  // The host's buttons: each is a POST to the API; the new state comes back through the stream (and at once here).
  root.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-act]");
    if (!b || VIEW !== "host") return;
    if (b.dataset.act === "end" && !window.confirm(T.confirm_end)) return;
    var msg = $("live-msg");
    b.disabled = true;
    call("POST", "/" + b.dataset.act, b.dataset.mode ? { mode: b.dataset.mode } : null).then(function (r) {
      b.disabled = false;
      msg.hidden = r.ok;
      msg.textContent = r.ok ? "" : (r.data && r.data.detail) || T.failed;
      if (r.ok) refresh();
    }, function () {
      b.disabled = false;
      msg.hidden = false;
      msg.textContent = T.failed;
    });
  });

  // --- the phone -------------------------------------------------------------------------------------------------------
  function line(box, cls, text) { box.appendChild(el("p", cls, text)); }

  function drawPlay() {
    var s = game, box = clear($("play"));
    $("progress").textContent = s.question_index >= 0 && s.status !== "finished" ? say("question_of", { n: s.question_index + 1, total: s.question_count }) : "";
    if (s.status === "lobby") {
      var wait = el("div", "live-verdict");
      wait.appendChild(el("b", null, T.lobby_in));
      line(wait, null, T.lobby_wait);
      box.appendChild(wait);
      return;
    }
    if (s.status === "finished") { drawFinal(box); return; }
    if (!s.question) return;
    var may = true;
    if (s.status === "reveal") box.appendChild(verdict());
    else may = mayAnswer(box);
    if (rescues[s.question_index]) box.appendChild(el("span", "tag warn", T.rescue));
    box.appendChild(el("p", "qtext live-qtext", s.question.text));
    drawChoices(box, may);
  }

  // Elimination: who may answer this question (a rescue question is for those who are out); says why not.
  function mayAnswer(box) {
    var s = game, alive = !me || me.alive !== false;
    if (s.mode !== "elimination") return true;
    var why = s.rescue ? (alive ? T.rescue_not_you : null) : alive ? null : T.out_wait;
    if (s.rescue && !alive) line(box, "alert warn", T.rescue_you);
    if (why) line(box, "alert warn", why);
    return !why;
  }

  function drawChoices(box, may) {
    var s = game, q = s.question, i = s.question_index, multi = q.kind === "multiple";
    var chosen = picked[i] || [], right = s.correct_option_ids, done = !!answered[i];
    var open = s.status === "question" && may && !done && !s.paused && !sending && closedAt !== i;
    var wrap = el("div", "live-choices" + (open ? "" : " locked"));
    q.options.forEach(function (o, k) {
      var b = el("button", "live-choice c" + (k % 6)), mine = chosen.indexOf(o.id) >= 0;
      b.type = "button";
      b.dataset.id = o.id;
      b.disabled = !open;
      b.appendChild(letter(k));
      b.appendChild(el("span", null, o.text));
      if (mine) b.classList.add("mine");
      if (right) { // revealed: what this phone chose, and the right options
        if (mine) b.appendChild(el("span", "live-yours", T.yours));
        if (right.indexOf(o.id) >= 0) { b.classList.add("right"); b.appendChild(el("span", "live-mark", "✓")); }
      } else if (multi || mine) b.setAttribute("aria-pressed", mine ? "true" : "false");
      wrap.appendChild(b);
    });
    box.appendChild(wrap);
    if (multi && open) {
      line(box, "hint", T.pick_many);
      var send = el("button", "btn block", T.send);
      send.type = "button";
      send.id = "send";
      send.disabled = !chosen.length;
      box.appendChild(send);
    }
    if (sending) line(box, "muted", T.sending);
    else if (done && s.status === "question") {
      var got = el("div", "live-verdict good", null);
      got.id = "got";
      got.appendChild(el("b", null, "✓ " + T.answered));
      line(got, null, T.wait_reveal);
      box.appendChild(got);
    } else if (notice && notice.i === i && s.status === "question") line(box, "alert error", notice.text);
    else if (closedAt === i && s.status === "question" && may) line(box, "alert warn", T.time_up);
  }

  function verdict() {
    var i = game.question_index, did = !!answered[i], elim = game.mode === "elimination";
    var good = !!(me && me.correct), out = elim && me && me.alive === false;
    var box = el("div", "live-verdict " + (good ? "good" : "bad"));
    box.id = "verdict";
    box.appendChild(el("b", null, good ? T.right : did ? T.wrong : out ? T.out : T.no_answer));
    if (good && !elim && me.points != null) line(box, null, say("plus", { n: num(me.points) }));
    if (elim && me && !(out && !did)) line(box, null, me.alive ? (good && rescues[i] ? T.back_in : T.still_in) : T.out);
    if (me) {
      line(box, null, say("score", { n: num(me.score) }) + (me.rank ? " · " + say("rank", { n: num(me.rank) }) : ""));
    }
    return box;
  }

  function drawFinal(box) {
    var card = el("div", "live-verdict");
    card.id = "final";
    card.appendChild(el("b", null, T.over));
    if (me && me.rank) line(card, null, say("final", { rank: num(me.rank), score: num(me.score) }));
    if (me && game.mode === "elimination") line(card, null, me.alive ? T.still_in : T.out);
    box.appendChild(card);
    var link = el("a", "btn block", T.see_results);
    link.href = root.dataset.results;
    link.id = "see-results";
    box.appendChild(link);
  }

  function send(i, ids) {
    if (sending || !ids.length) return;
    sending = true;
    drawPlay();
    call("PUT", "/answer", { option_ids: ids }).then(function (r) {
      sending = false;
      if (r.ok) answered[i] = true;
      else notice = { i: i, text: (r.data && r.data.detail) || T.failed };
      drawPlay();
      if (r.status === 409 || r.status === 403) refresh(); // taken already, or closed: the state says which
    }, function () {
      sending = false;
      notice = { i: i, text: T.failed };
      drawPlay();
    });
  }

  var playBox = $("play");
  if (playBox) {
    playBox.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("button");
      if (!b || b.disabled || !game || !game.question) return;
      var i = game.question_index;
      if (b.id === "send") { send(i, picked[i] || []); return; }
      var id = Number(b.dataset.id);
      if (!id) return;
      notice = null;
      if (game.question.kind !== "multiple") { picked[i] = [id]; send(i, [id]); return; }
      var list = (picked[i] || []).slice(), at = list.indexOf(id);
      if (at >= 0) list.splice(at, 1);
      else list.push(id);
      picked[i] = list;
      drawPlay();
    });
  }

  var VIEWS = { host: drawStage, screen: drawStage, play: drawPlay };
  refresh().then(follow);
})();

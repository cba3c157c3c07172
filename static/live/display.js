/* The projector display (templates/live/display.html; live.md "The projector display").
 *
 * The page arrives fully rendered by the server. This script keeps it live: it joins the event's
 * room over a WebSocket, applies each message, and on every (re)connect re-reads the whole state
 * from the JSON endpoint so nothing placed while the socket was down is missing. Reconnects back
 * off (1 s doubling to 30 s, with jitter). A bid older (lower `sequence`) than one already shown
 * for its item is ignored. Text goes in with textContent only (titles are user input). No inline
 * script or style: it runs under a strict Content-Security-Policy. */
(function () {
  "use strict";

  var body = document.body;
  var state = JSON.parse(document.getElementById("display-state").textContent);
  var currency = body.dataset.currency || "USD";
  var symbols = { USD: "$", CAD: "$", AUD: "$", NZD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹" };
  var LATEST = 8, HOT = 4, CLOSING = 4;
  var lastSequence = {};   // item id -> highest bid sequence shown
  var open = {};           // item id -> {number, title, current_bid, bid_count, closes_at}
  var clockOffset = 0;     // server time - local time, ms
  var socket = null, attempt = 0, pingTimer = null, retryTimer = null;

  // --- branding: colours from the event, validated, set as CSS variables (CSSOM, CSP-safe) ---
  function hex(name) {
    var value = body.dataset[name];
    return value && /^#[0-9a-fA-F]{6}$/.test(value) ? value : null;
  }
  function luminance(colour) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(colour.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  var root = document.documentElement.style;
  if (hex("primary")) { root.setProperty("--primary", hex("primary")); }
  if (hex("accent")) { root.setProperty("--accent", hex("accent")); }
  if (hex("background")) {
    // Text colour follows the background so a light brand background stays readable.
    var light = luminance(hex("background")) > 0.4;
    root.setProperty("--bg", hex("background"));
    root.setProperty("--fg", light ? "#111827" : "#ffffff");
    root.setProperty("--muted", light ? "#4b5563" : "#b8c4d6");
    root.setProperty("--panel", light ? "rgba(0, 0, 0, 0.05)" : "rgba(255, 255, 255, 0.06)");
  }

  // --- formatting (same rules as apps/live/templatetags/live_display.py) ---
  function money(value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var n = Number(value);
    var whole = Math.round(n * 100) % 100 === 0;
    var text = n.toLocaleString("en-US", { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
    return symbols[currency] ? symbols[currency] + text : text + " " + currency;
  }

  function countdown(iso) {
    if (!iso) { return ""; }
    var seconds = Math.floor((Date.parse(iso) - (Date.now() + clockOffset)) / 1000);
    if (seconds <= 0) { return "closing"; }
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text; }
  }

  function lot(number, title) {
    var what = el("span", "what");
    what.appendChild(el("span", "num", "Lot " + number));
    what.appendChild(document.createTextNode(" " + (title || "")));
    return what;
  }

  // --- sections ---
  function renderTotals(t) {
    setText("raised", money(t.raised));
    if (t.goal) {
      setText("goal", money(t.goal));
      setText("percent", Math.round(t.percent || 0) + "%");
    }
    document.getElementById("thermometer").value = Math.max(0, Math.min(Number(t.percent || 0), 100));
    Object.keys(t.by_source || {}).forEach(function (source) { setText("source-" + source, money(t.by_source[source])); });
  }

  function feedRow(row, fresh) {
    var li = el("li", "feed-row" + (row.kind === "sale" ? " sale" : "") + (fresh ? " fresh" : ""));
    li.dataset.item = row.item;
    li.dataset.kind = row.kind;
    li.dataset.amount = row.amount;
    li.appendChild(el("span", "paddle", "#" + row.bidder_number));
    li.appendChild(lot(row.number, row.title));
    li.appendChild(el("span", "amount", (row.kind === "sale" ? "Sold " : "") + money(row.amount)));
    return li;
  }

  function renderFeed(rows) {
    var list = document.getElementById("latest");
    list.replaceChildren();
    rows.slice(0, LATEST).forEach(function (row) { list.appendChild(feedRow(row, false)); });
    if (!rows.length) { list.appendChild(el("li", "empty", "Bidding opens soon")); }
  }

  function prepend(row) {
    var list = document.getElementById("latest");
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    list.insertBefore(feedRow(row, true), list.firstChild);
    while (list.children.length > LATEST) { list.removeChild(list.lastChild); }
  }

  function itemsList(id, rows, extra, emptyText) {
    var list = document.getElementById(id);
    list.replaceChildren();
    rows.forEach(function (row) {
      var li = el("li");
      li.dataset.item = row.item;
      li.appendChild(lot(row.number, row.title));
      li.appendChild(el("span", "amount", money(row.current_bid || row.starting_bid)));
      li.appendChild(extra(row));
      list.appendChild(li);
    });
    if (!rows.length) { list.appendChild(el("li", "empty", emptyText)); }
  }

  function renderItems() {
    var rows = Object.keys(open).map(function (id) { return Object.assign({ item: id }, open[id]); });
    var hot = rows.filter(function (r) { return r.bid_count > 0; })
      .sort(function (a, b) { return b.bid_count - a.bid_count || Number(b.current_bid) - Number(a.current_bid) || a.number - b.number; })
      .slice(0, HOT);
    itemsList("hot", hot, function (r) { return el("span", "meta", r.bid_count + (r.bid_count === 1 ? " bid" : " bids")); }, "No bids yet");
    var now = Date.now() + clockOffset;
    var closing = rows.filter(function (r) { return r.closes_at && Date.parse(r.closes_at) > now; })
      .sort(function (a, b) { return Date.parse(a.closes_at) - Date.parse(b.closes_at) || a.number - b.number; })
      .slice(0, CLOSING);
    itemsList("closing", closing, function (r) {
      var clock = el("span", "clock", countdown(r.closes_at));
      clock.dataset.closes = r.closes_at;
      return clock;
    }, "No closing times set");
  }

  function renderPaddleRaise(pr) {
    setText("pr-total", money(pr.total));
    setText("pr-count", pr.count + (pr.count === 1 ? " pledge" : " pledges"));
    var list = document.getElementById("pr-levels");
    list.replaceChildren();
    (pr.totals_by_level || []).forEach(function (row) {
      var li = el("li");
      li.dataset.level = row.level || "";
      li.appendChild(el("span", "level", row.level ? money(row.level) : row.label));
      var times = el("span", "times", "× ");
      times.appendChild(el("span", "count", String(row.count)));
      li.appendChild(times);
      list.appendChild(li);
    });
  }

  function renderAll(s) {
    state = s;
    clockOffset = Date.parse(s.now) - Date.now();
    renderTotals(s.totals);
    renderFeed(s.latest || []);
    open = {};
    (s.hot_items || []).concat(s.closing_soon || []).forEach(function (r) {
      open[r.item] = { number: r.number, title: r.title, current_bid: r.current_bid, starting_bid: r.starting_bid, bid_count: r.bid_count, closes_at: r.closes_at };
    });
    renderItems();
    renderPaddleRaise(s.paddle_raise);
  }

  // --- messages (live.md "Messages") ---
  function title(id) { return (state.items[id] || {}).title || ""; }

  // A message replayed after a state read may already be in the feed that read returned.
  function inFeed(kind, item, amount) {
    var rows = document.querySelectorAll("#latest .feed-row");
    for (var i = 0; i < rows.length; i++) {
      var d = rows[i].dataset;
      if (d.kind === kind && d.item === item && Number(d.amount) === Number(amount)) { return true; }
    }
    return false;
  }

  var handlers = {
    bid_placed: function (m) {
      if ((lastSequence[m.item] || 0) >= m.sequence) { return; }
      lastSequence[m.item] = m.sequence;
      var known = open[m.item] || { number: m.number, title: title(m.item) };
      open[m.item] = Object.assign(known, { current_bid: m.current_bid, bid_count: m.bid_count, closes_at: m.closes_at });
      if (!inFeed("bid", m.item, m.current_bid)) {
        prepend({ kind: "bid", item: m.item, number: m.number, title: known.title, bidder_number: m.bidder_number, amount: m.current_bid });
      }
      renderItems();
    },
    item_updated: function (m) {
      if (m.status !== "open") { delete open[m.item]; renderItems(); return; }
      var info = state.items[m.item] || {};
      open[m.item] = Object.assign(open[m.item] || { number: info.number, title: info.title, bid_count: 0 }, { closes_at: m.closes_at });
      renderItems();
    },
    item_closed: function (m) { delete open[m.item]; renderItems(); },
    sale: function (m) {
      var info = state.items[m.item] || {};
      if (!m.undone) {
        if (inFeed("sale", m.item, m.amount)) { return; }
        prepend({ kind: "sale", item: m.item, number: info.number, title: info.title, bidder_number: m.bidder_number, amount: m.amount });
        return;
      }
      var rows = document.querySelectorAll("#latest .feed-row.sale");
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].dataset.item === m.item && Number(rows[i].dataset.amount) === Number(m.amount)) { rows[i].remove(); break; }
      }
    },
    pledge: function (m) {
      setText("pr-total", money(m.total));
      var row = document.querySelector('#pr-levels li[data-level="' + (m.level || "") + '"] .count');
      if (row) { row.textContent = String(m.count); } else { refresh(); return; }
      var total = 0;
      document.querySelectorAll("#pr-levels .count").forEach(function (c) { total += Number(c.textContent); });
      setText("pr-count", total + (total === 1 ? " pledge" : " pledges"));
    },
    totals: function (m) { renderTotals(m); },
  };

  // --- connection ---
  function setStatus(online) {
    body.dataset.live = online ? "online" : "offline";
    var label = document.querySelector("#live-status .label");
    if (label) { label.textContent = online ? "Live" : "Reconnecting…"; }
  }

  // Messages that arrive while the state is being read are held and applied after it: the read
  // is not one snapshot (a bid can commit between its queries), and applying a message first
  // would let the older read wipe it from the feed.
  var held = null;

  function apply(message) {
    var handler = handlers[message.type];
    if (handler) { handler(message); }
  }

  function release() {
    var messages = held || [];
    held = null;
    messages.forEach(apply);
  }

  function refresh() {
    held = held || [];
    return fetch(body.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error("state " + r.status); } return r.json(); })
      .then(renderAll)
      .catch(function () { /* the socket's next reconnect tries again */ })
      .then(release);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/events/" + body.dataset.eventId + "/");
    socket.onopen = function () {
      attempt = 0;
      setStatus(true);
      refresh();  // joined first, then read: nothing falls between the two
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send('{"type":"ping"}'); }
      }, 25000);
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (held) { held.push(message); } else { apply(message); }
    };
    socket.onclose = function () {
      clearInterval(pingTimer);
      setStatus(false);
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.8 + Math.random() * 0.4);
      attempt += 1;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay);
    };
  }

  setInterval(function () {
    document.querySelectorAll("#closing .clock").forEach(function (clock) {
      var left = countdown(clock.dataset.closes);
      clock.textContent = left;
      clock.classList.toggle("urgent", left === "closing" || Date.parse(clock.dataset.closes) - (Date.now() + clockOffset) < 5 * 60000);
    });
  }, 1000);

  clockOffset = Date.parse(state.now) - Date.now();
  (state.hot_items || []).concat(state.closing_soon || []).forEach(function (r) {
    open[r.item] = { number: r.number, title: r.title, current_bid: r.current_bid, starting_bid: r.starting_bid, bid_count: r.bid_count, closes_at: r.closes_at };
  });
  connect();
})();

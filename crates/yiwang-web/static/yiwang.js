// yiwang: the little script the pages use. Everything works without it; it only
// adds picking a point on the map and a few keyboard shortcuts.
(function () {
  "use strict";
  function pickers() {
    document.querySelectorAll("svg.district.picker").forEach(function (svg) {
      var form = svg.closest("form");
      if (!form) return;
      var lon = form.querySelector("#lon"), lat = form.querySelector("#lat");
      var picked = form.querySelector("#picked"), area = form.querySelector("#area");
      var pin = svg.querySelector(".pin");
      var lon0 = +svg.dataset.lon0, lat1 = +svg.dataset.lat1, k = +svg.dataset.k, cos = +svg.dataset.cos;
      svg.addEventListener("click", function (ev) {
        var cell = ev.target.closest ? ev.target.closest(".cell") : null;
        if (!cell) return;
        var pt = svg.createSVGPoint();
        pt.x = ev.clientX; pt.y = ev.clientY;
        var p = pt.matrixTransform(svg.getScreenCTM().inverse());
        var x = (p.x - 4) / (k * cos) + lon0, y = lat1 - (p.y - 4) / k;
        lon.value = x.toFixed(6); lat.value = y.toFixed(6);
        if (pin) { pin.setAttribute("cx", p.x.toFixed(1)); pin.setAttribute("cy", p.y.toFixed(1)); }
        svg.querySelectorAll(".cell.chosen").forEach(function (c) { c.classList.remove("chosen"); });
        cell.classList.add("chosen");
        if (area) {
          var code = cell.dataset.unit;
          for (var i = 0; i < area.options.length; i++) {
            if (area.options[i].value === code) { area.selectedIndex = i; break; }
          }
        }
        if (picked) picked.textContent = "已选择：" + cell.dataset.name;
      });
      if (area) area.addEventListener("change", function () {
        // A place chosen from the list replaces a point picked on the map.
        lon.value = ""; lat.value = "";
        if (pin) { pin.setAttribute("cx", "-20"); pin.setAttribute("cy", "-20"); }
        if (picked) picked.textContent = "";
      });
    });
  }
  function intakeKeys() {
    var form = document.getElementById("intake-form");
    if (!form) return;
    form.addEventListener("keydown", function (ev) {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
        ev.preventDefault();
        form.querySelector('button[value="accept"]').click();
      }
    });
  }
  function anonymous() {
    var box = document.getElementById("anonymous");
    if (!box) return;
    var sync = function () {
      document.querySelectorAll("#name, #phone").forEach(function (i) { i.disabled = box.checked; });
    };
    box.addEventListener("change", sync);
    sync();
  }
  function showFailed() {
    // After a refused action, bring its form (with the message) into view.
    var f = document.querySelector(".card.action.failed");
    if (f) f.scrollIntoView({ block: "center" });
  }
  // A suggested category is applied to the form's selects with one click (or Alt+G
  // for the first); the select says which it is, and the unit follows where the form
  // chooses one.
  function applySuggestion() {
    document.querySelectorAll("button[data-apply-category]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var c = document.getElementById(b.dataset.categorySelect);
        if (c) { c.value = b.dataset.applyCategory; c.dispatchEvent(new Event("change")); }
        var u = b.dataset.unitSelect && document.getElementById(b.dataset.unitSelect);
        if (u && u.querySelector('option[value="' + b.dataset.applyUnit + '"]')) u.value = b.dataset.applyUnit;
        document.querySelectorAll("button[data-apply-category]").forEach(function (o) { o.classList.toggle("applied", o === b); });
        if (c) c.focus();
      });
    });
  }
  // The intake form asks for suggestions as the operator types (no reload, the
  // focus stays where it is): the hints fragment is swapped in a moment after typing
  // stops; an older answer never replaces a newer one.
  function intakeHints() {
    var form = document.getElementById("intake-form"), box = document.getElementById("intake-hints");
    if (!form || !box) return;
    var timer = null, asked = 0, shown = 0, lastText = "";
    function ask() {
      var data = new URLSearchParams(new FormData(form));
      data.delete("then");
      var text = (data.get("text") || "").trim();
      if (text.length < 4 || text === lastText) return;
      lastText = text;
      var n = ++asked;
      fetch("/console/intake/hints", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          if (n < shown) return;
          shown = n;
          box.innerHTML = html;
          applySuggestion(); useAnswer();
        })
        .catch(function () { lastText = ""; });
    }
    function later() { clearTimeout(timer); timer = setTimeout(ask, 600); }
    ["text", "title", "address"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("input", later);
    });
    var area = document.getElementById("area");
    if (area) area.addEventListener("change", function () { lastText = ""; later(); });
  }
  // A button that puts its value into a field (a merge candidate into 主工单编号).
  function fillButtons() {
    document.querySelectorAll("button[data-fill]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var f = document.getElementById(b.dataset.fill);
        if (f) { f.value = b.dataset.value; f.focus(); }
      });
    });
  }
  function useAnswer() {
    document.querySelectorAll("button[data-answer]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var a = document.getElementById("answer");
        if (a) { a.value = b.dataset.answer; a.focus(); }
      });
    });
  }
  // A "back" link goes back in history; without the script it goes home. (No
  // javascript: links: the Content-Security-Policy allows only this file's script.)
  function backLinks() {
    document.querySelectorAll("a[data-back]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        if (history.length > 1) { ev.preventDefault(); history.back(); }
      });
    });
  }
  // 进度查询: the receipt's link carries the code in the fragment (never sent to a
  // server, so never in a log or a Referer header); fill it in.
  function trackFragment() {
    var code = document.getElementById("tracking_code");
    if (!code || code.value || !location.hash) return;
    var v = decodeURIComponent(location.hash.slice(1)).trim().toUpperCase();
    if (!/^[0-9A-Z]{8,16}$/.test(v)) return;
    code.value = v;
    var phone = document.getElementById("phone");
    if (phone) phone.focus();
  }
  // Every text box with a length limit shows how much of it is used.
  function counters() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (t) {
      var max = +t.getAttribute("maxlength"), c = document.createElement("small");
      c.className = "counter"; c.setAttribute("aria-live", "polite");
      function update() { c.textContent = t.value.length + " / " + max + " 字"; c.classList.toggle("near", t.value.length > max * 0.9); }
      t.addEventListener("input", update); update();
      t.insertAdjacentElement("afterend", c);
    });
  }
  // 常用检索: a saved search is its address, kept in this browser.
  function savedViews() {
    var list = document.getElementById("saved-views");
    var save = document.querySelector("[data-save-view]");
    if (!list || !save) return;
    var KEY = "yiwang.views";
    function load() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
    function show() {
      list.textContent = "";
      load().forEach(function (v, i) {
        var li = document.createElement("li"), a = document.createElement("a"), x = document.createElement("button");
        a.href = v.url; a.textContent = v.name;
        x.type = "button"; x.className = "link"; x.textContent = "删除"; x.setAttribute("aria-label", "删除 " + v.name);
        x.addEventListener("click", function () {
          var views = load(); views.splice(i, 1); localStorage.setItem(KEY, JSON.stringify(views)); show();
        });
        li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(x); list.appendChild(li);
      });
    }
    save.addEventListener("click", function () {
      var name = window.prompt("给这个检索起个名字", document.getElementById("q").value || "我的检索");
      if (!name) return;
      var views = load().filter(function (v) { return v.name !== name; });
      views.push({ name: name.slice(0, 30), url: location.pathname + location.search });
      localStorage.setItem(KEY, JSON.stringify(views.slice(-20)));
      show();
    });
    show();
  }
  // 网格巡查: while the patrol page is open the phone's position is recorded; points
  // go to the server every 30 seconds (and when the page is left), and the latest
  // position is where a problem is reported unless one is picked on the map.
  function patrolTracking() {
    var box = document.getElementById("patrol");
    if (!box) return;
    var status = document.getElementById("gps-status"), count = document.getElementById("patrol-points");
    var lon = document.getElementById("lon"), lat = document.getElementById("lat");
    var picked = document.getElementById("picked"), svg = document.querySelector("#problem-form svg.picker");
    var mapPicked = false, pending = [], last = 0;
    if (svg) svg.addEventListener("click", function () { mapPicked = true; });
    function send(beacon) {
      if (!pending.length) return;
      // The phone's clock goes with the points: the server corrects for its error.
      var body = new URLSearchParams({ _csrf: box.dataset.csrf, points: JSON.stringify(pending), sent: new Date().toISOString() });
      var sent = pending; pending = [];
      if (beacon && navigator.sendBeacon) { navigator.sendBeacon(box.dataset.track, body); return; }
      fetch(box.dataset.track, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (v) { if (count) count.textContent = v.points; })
        // Refused points (422) are dropped; a lost connection keeps them for the next try.
        .catch(function (status) { if (status !== 422) pending = sent.concat(pending); });
    }
    if (!navigator.geolocation) { status.textContent = "此设备不支持定位：请在地图上点选问题位置。"; return; }
    navigator.geolocation.watchPosition(function (pos) {
      var p = { lon: +pos.coords.longitude.toFixed(6), lat: +pos.coords.latitude.toFixed(6), at: new Date(pos.timestamp).toISOString() };
      if (pending.length && pending[pending.length - 1].at >= p.at) return;
      pending.push(p);
      status.textContent = "定位正常（精度约 " + Math.round(pos.coords.accuracy) + " 米），轨迹记录中。";
      if (!mapPicked && lon && lat) {
        lon.value = p.lon; lat.value = p.lat;
        if (picked) picked.textContent = "位置：手机当前定位（" + p.lon + "，" + p.lat + "）；也可在地图上点选。";
        var pin = svg && svg.querySelector(".pin");
        if (pin) {
          var s = svg.dataset;
          pin.setAttribute("cx", ((p.lon - s.lon0) * s.cos * s.k + 4).toFixed(1));
          pin.setAttribute("cy", ((s.lat1 - p.lat) * s.k + 4).toFixed(1));
        }
      }
      if (Date.now() - last > 30000) { last = Date.now(); send(false); }
    }, function () {
      status.textContent = "无法获取定位：请允许本页使用位置信息，或在地图上点选问题位置。";
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
    window.addEventListener("pagehide", function () { send(true); });
    document.querySelectorAll("#problem-form, #end-patrol").forEach(function (el) {
      (el.form || el).addEventListener("submit", function () { send(true); });
    });
  }
  // The inspection's on-site form: the phone's place, and the enterprise's signature
  // drawn on a canvas, sent as a PNG data URL.
  function inspectionForm() {
    var form = document.getElementById("inspection-form");
    if (!form) return;
    var status = document.getElementById("gps-status");
    var lon = document.getElementById("lon"), lat = document.getElementById("lat");
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        lon.value = pos.coords.longitude.toFixed(6); lat.value = pos.coords.latitude.toFixed(6);
        status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）。";
      }, function () { status.textContent = "无法获取定位：检查记录将不含位置。"; }, { enableHighAccuracy: true, timeout: 20000 });
    } else { status.textContent = "此设备不支持定位。"; }
    var canvas = document.getElementById("sig-canvas"), out = document.getElementById("signature_png");
    if (!canvas || !out) return;
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    ctx.lineWidth = 2; ctx.lineCap = "round";
    function at(e) { var r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; }
    canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
    canvas.addEventListener("pointermove", function (e) { if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
    ["pointerup", "pointerleave"].forEach(function (n) { canvas.addEventListener(n, function () { drawing = false; }); });
    var clear = document.getElementById("sig-clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
    form.addEventListener("submit", function () { out.value = drawn ? canvas.toDataURL("image/png") : ""; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    inspectionForm();
    pickers(); intakeKeys(); anonymous(); showFailed(); useAnswer(); applySuggestion(); fillButtons(); backLinks(); savedViews(); trackFragment(); counters(); patrolTracking(); intakeHints();
  });
})();

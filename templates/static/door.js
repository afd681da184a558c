// The door screen, quicker (every form also works without this file): answers in place, camera
// scanning, beeps, and scans made offline kept in localStorage with nonce and time until sent.
(() => {
  "use strict";
  const door = document.getElementById("door");
  if (!door || !window.fetch) return;
  const text = door.dataset, { base, csrf } = text;
  const queueKey = "tp-door-queue-" + text.session;
  const $ = (selector) => document.querySelector(selector);
  const rows = () => door.querySelectorAll("#door-roster li[data-id]");

  async function call(path, fields) {
    const response = await fetch(base + path, {
      method: fields ? "POST" : "GET",
      headers: { Accept: "application/json", "x-csrftoken": csrf },
      body: fields && new URLSearchParams(fields),
    });
    const json = (response.headers.get("content-type") || "").includes("json");
    return { status: response.status, data: json ? await response.json() : {} };
  }

  // Answers
  function show(banner) {
    const box = document.createElement("div");
    box.className = "banner banner-" + banner.tone;
    if (banner.result) box.dataset.result = banner.result;
    box.innerHTML = '<span class="banner-icon" aria-hidden="true"></span><p class="banner-title"></p><p class="banner-detail"></p>';
    const [icon, title, detail] = box.children;
    icon.textContent = banner.icon || (banner.tone === "warn" ? "!" : "✕");
    title.textContent = banner.title;
    detail.textContent = banner.detail || "";
    $("#door-result").replaceChildren(box);
    beep(banner.tone);
  }

  function counts(values) {
    for (const key in values || {}) door.querySelectorAll(`[data-count="${key}"]`).forEach((el) => { el.textContent = values[key]; });
  }

  function mark(id, time) {
    const row = $(`#door-roster li[data-id="${id}"]`);
    if (!row) return;
    row.classList.toggle("in", !!time);
    row.querySelector(".door-time").textContent = time || "";
  }

  function answer(data) {
    if (data.banner) show(data.banner);
    counts(data.counts);
    if (data.person) mark(data.person.id, data.person.time);
  }

  // Sound: a short high beep for ok, a long low one for denied
  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  let audio = null;
  function beep(tone) {
    if (!AudioCtx || tone === "info") return;
    try {
      audio = audio || new AudioCtx();
      const osc = audio.createOscillator(), gain = audio.createGain(), ok = tone === "ok";
      osc.frequency.value = ok ? 880 : 220;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.12 : 0.45));
    } catch { /* no sound */ }
  }

  // Scans and the offline queue
  const nonce = () => crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join("");
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey)) || []; } catch { return []; }
  }
  function saveQueue(queue) {
    try { localStorage.setItem(queueKey, JSON.stringify(queue)); } catch { /* private mode */ }
    const line = $("#door-queue");
    line.hidden = !queue.length;
    line.textContent = text.tWaiting.replace("{n}", queue.length);
  }

  // true once the server decided the scan, else why it waits in the queue (offline, signed out…)
  async function send(scan, live) {
    const fields = { client_nonce: scan.nonce, scanned_at: scan.at };
    if (scan.code) fields.code = scan.code; else fields.registration_id = scan.id;
    let reply;
    try { reply = await call("/checkin", fields); } catch { return ""; }
    const { status, data } = reply;
    if (!data.banner || data.retry || status === 401 || status === 429 || status >= 500) return data.banner ? data.banner.title : "";
    answer(live ? data : { ...data, banner: null });
    if (live) return true;
    const item = document.createElement("li"), list = $("#door-later");
    item.textContent = `${text.tSentLater}: ${data.banner.title} ${data.banner.detail || ""}`;
    list.hidden = false;
    list.appendChild(item);
    return true;
  }

  async function scan(what) {
    Object.assign(what, { nonce: nonce(), at: new Date().toISOString() });
    const done = navigator.onLine ? await send(what, true) : "";
    if (done === true) return;
    saveQueue(loadQueue().concat([what]));
    show({ tone: "warn", title: text.tSaved, detail: done || text.tSavedDetail });
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    let next;
    while ((next = loadQueue()[0]) && (await send(next, false)) === true) {
      saveQueue(loadQueue().filter((s) => s.nonce !== next.nonce));
    }
    flushing = false;
  }

  // Counts and the list, as other phones at this door change them.
  async function refresh() {
    if (flushing || !navigator.onLine || document.hidden) return;
    const { data } = await call("").catch(() => ({ data: {} }));
    if (!data.counts) return;
    counts(data.counts);
    rows().forEach((row) => mark(row.dataset.id, data.checked_in[row.dataset.id]));
  }

  window.addEventListener("online", flush);
  setInterval(() => flush().then(refresh), 15000);
  saveQueue(loadQueue());
  flush();

  // Forms
  door.addEventListener("submit", async (event) => {
    const form = event.target, kind = form.dataset.door;
    if (!kind) return;
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    if (kind === "scan") {
      if (form.elements.code) { form.elements.code.value = ""; form.elements.code.focus(); }
      return scan(fields.code ? { code: fields.code.trim() } : { id: fields.registration_id });
    }
    try {
      const { status, data } = await call(form.getAttribute("action").slice(base.length), fields);
      answer(data);
      if (status < 300 && form.elements.name) form.reset();
    } catch {
      show({ tone: "bad", title: text.tOffline });
    }
  });

  // Filter the list while typing; the search button still asks the server.
  const search = $("#door-q");
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    rows().forEach((row) => { row.hidden = !!q && !row.dataset.name.includes(q); });
  });

  // The camera, only where the browser reads QR codes itself
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const button = $("#door-camera-button"), label = button.lastElementChild, video = $("#door-video");
  const startLabel = label.textContent;
  let stream = null, detector = null, last = "", lastAt = 0;
  BarcodeDetector.getSupportedFormats().then((formats) => { $("#door-camera").hidden = !formats.includes("qr_code"); });

  function camera(on) {
    video.hidden = !on;
    label.textContent = on ? text.tCameraStop : startLabel;
    button.setAttribute("aria-pressed", String(on));
  }

  async function look() {
    const mine = stream;
    while (stream === mine) {
      try {
        const found = await detector.detect(video);
        const code = found.length ? found[0].rawValue : "";
        if (code && (code !== last || Date.now() - lastAt > 4000)) scan({ code });
        if (code) { last = code; lastAt = Date.now(); }
      } catch { /* an unreadable frame */ }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  button.addEventListener("click", async () => {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
      return camera(false);
    }
    if (AudioCtx && !audio) audio = new AudioCtx(); // made on a tap, so later beeps may sound
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      detector = detector || new BarcodeDetector({ formats: ["qr_code"] });
      video.srcObject = stream;
      camera(true);
      await video.play();
      look();
    } catch {
      stream = null;
      camera(false);
      show({ tone: "bad", title: text.tCameraFailed });
    }
  });
})();

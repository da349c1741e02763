// pochta inbox: live list, keyboard shortcuts and the actions, on the JSON API.
// No framework, no build step; loaded with `defer` from the inbox's own origin.
"use strict";
(() => {
  const body = document.body;
  const page = body.dataset.page;
  const root = body.dataset.root || ""; // --webroot and /mailbox/NAME, e.g. "/mail/mailbox/ci"
  const query = body.dataset.query || "";
  const start = Number(body.dataset.start || 0);
  const live = page === "list" && !query && start === 0;
  const list = document.getElementById("list");
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  const PAGE_SIZE = 50;
  let selected = -1;

  function setCounts(total, unread) {
    document.title = (unread > 0 ? `(${unread}) ` : "") + baseTitle;
    const fields = { total, unread };
    for (const [id, value] of Object.entries(fields)) {
      const el = document.getElementById(id);
      if (el && value !== undefined) el.textContent = value.toLocaleString("en-US");
    }
    const noun = document.getElementById("total-noun");
    if (noun && total !== undefined) noun.textContent = total === 1 ? "message" : "messages";
  }

  async function api(method, payload, keepalive = false) {
    const answer = await fetch(`${root}/api/v1/messages`, {
      method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      keepalive,
    });
    if (!answer.ok) {
      const problem = await answer.json().catch(() => ({ Error: answer.statusText }));
      throw new Error(problem.Error);
    }
  }
  const setRead = (ids, read) => api("PUT", ids ? { Read: read, IDs: ids } : { Read: read });
  const remove = (ids, keepalive = false) =>
    ids.length ? api("DELETE", { IDs: ids }, keepalive) : Promise.resolve();

  // Times: "5 min ago" on screen, the exact local time on hover.
  function ago(moment) {
    const seconds = (Date.now() - moment.getTime()) / 1000;
    if (seconds < 45) return "just now";
    if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    if (seconds < 7 * 86400) return `${Math.floor(seconds / 86400)} d ago`;
    return moment.toISOString().slice(0, 10);
  }
  function refreshTimes() {
    for (const el of document.querySelectorAll(".row time")) {
      const moment = new Date(el.dateTime);
      if (Number.isNaN(moment.getTime())) continue;
      el.textContent = ago(moment);
      el.title = moment.toLocaleString();
    }
  }

  // The list.
  // A row waiting to be deleted (see "Undo" below) is hidden, and no longer counts.
  const rows = () => (list ? Array.from(list.querySelectorAll(".row:not([hidden])")) : []);
  const allRows = () => (list ? Array.from(list.querySelectorAll(".row")) : []);
  const rowOf = (id) => allRows().find((row) => row.dataset.id === id);
  function select(index) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("selected", i === selected));
    const link = all[selected].querySelector("a.open");
    link.focus({ preventScroll: true });
    link.scrollIntoView({ block: "nearest" });
  }
  function size(bytes) {
    let value = bytes;
    for (const unit of ["B", "kB", "MB", "GB"]) {
      if (value < 1000 || unit === "GB") return unit === "B" ? `${value} B` : `${value.toFixed(1)} ${unit}`;
      value /= 1000;
    }
  }
  function buildRow(m) {
    const row = document.getElementById("row-template").content.firstElementChild.cloneNode(true);
    const set = (cls, text) => { row.querySelector(cls).textContent = text; };
    const recipients = (m.To && m.To.length ? m.To : m.Bcc || []).map((a) => a.Name || a.Address);
    row.dataset.id = m.ID;
    row.classList.toggle("unread", !m.Read);
    row.querySelector("a.open").href = `${root}/message/${encodeURIComponent(m.ID)}`;
    set(".from", m.From ? m.From.Name || m.From.Address : "(no sender)");
    set(".to", `to ${recipients.join(", ") || "(no recipient)"}`);
    set("a.open", m.Subject || "(no subject)");
    for (const name of m.Tags || []) {
      const tag = document.createElement("a");
      tag.className = "tag";
      tag.href = tagSearch(name);
      tag.textContent = name;
      row.querySelector(".tags").append(tag, " ");
    }
    set(".snippet", m.Snippet || "");
    set(".size", size(m.Size));
    const clip = row.querySelector(".clip");
    clip.hidden = !m.Attachments;
    clip.title = `${m.Attachments} attached`;
    const time = row.querySelector("time");
    time.dateTime = m.Created;
    row.classList.add("fresh");
    return row;
  }
  // The same URL as the server's tag_search filter: /?q=tag:name, quoted when needed.
  function tagSearch(name) {
    const term = /[\s"]/.test(name) ? `tag:"${name}"` : `tag:${name}`;
    return `${root}/?q=${encodeURIComponent(term).replace(/%3A/g, ":")}`;
  }
  function changed() {
    document.getElementById("new-mail").hidden = false;
  }
  function addNew(m) {
    if (!live) return changed();
    if (rowOf(m.ID)) return;
    list.prepend(buildRow(m));
    if (selected >= 0) selected += 1;
    while (rows().length > PAGE_SIZE) rows().at(-1).remove();
    document.getElementById("empty").hidden = true;
    refreshTimes();
  }
  // Make the first page match the API's (after a "prune" frame, and when polling).
  async function resync() {
    const answer = await fetch(`${root}/api/v1/messages?limit=${PAGE_SIZE}`);
    if (!answer.ok) return;
    const data = await answer.json();
    setCounts(data.total, data.unread);
    if (!live) {
      const top = data.messages.length ? data.messages[0].ID : "";
      if (resync.top !== undefined && top !== resync.top) changed();
      resync.top = top;
      return;
    }
    const fresh = data.messages.map((m) => {
      const row = rowOf(m.ID) || buildRow(m);
      row.classList.toggle("unread", !m.Read);
      return row;
    });
    const current = rows()[selected];
    list.replaceChildren(...fresh);
    selected = current ? fresh.indexOf(current) : -1;
    document.getElementById("empty").hidden = fresh.length > 0;
    refreshTimes();
  }
  function dropRows(ids) {
    for (const id of ids) rowOf(id)?.remove();
    if (list && !rows().length) document.getElementById("empty").hidden = false;
  }

  // Counts come from the API, a moment after a burst of events.
  let countTimer = 0;
  function recount() {
    clearTimeout(countTimer);
    countTimer = setTimeout(async () => {
      const answer = await fetch(`${root}/api/v1/messages?limit=1`);
      if (answer.ok) {
        const data = await answer.json();
        setCounts(data.total, data.unread);
      }
    }, 150);
  }

  // Live events (Mailpit's shapes) over the WebSocket; polling while it cannot connect.
  function handle(event) {
    const data = event.Data || {};
    if (event.Type === "new") addNew(data);
    else if (event.Type === "update") rowOf(data.ID)?.classList.toggle("unread", data.Read === false);
    else if (event.Type === "delete") dropRows([data.ID]);
    else if (event.Type === "truncate") dropRows(allRows().map((row) => row.dataset.id));
    else if (event.Type === "prune") resync();
    else if (event.Type === "stats") setCounts(data.Total, data.Unread);
  }
  let socketOpen = false;
  let polling = false;
  async function poll() {
    if (socketOpen) { polling = false; return; }
    polling = true;
    try {
      await resync();
    } finally {
      setTimeout(poll, 2000);
    }
  }
  function connect(delay) {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${root}/api/events`);
    socket.onopen = () => { socketOpen = true; delay = 1000; };
    socket.onmessage = (message) => handle(JSON.parse(message.data));
    socket.onclose = () => {
      socketOpen = false;
      if (!polling) poll();
      setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    };
  }

  // Deleting from the list can be undone: the row is hidden at once and the
  // message deleted only when the undo notice goes (after UNDO_MS, at the next
  // delete, or when the page is left: a keepalive request outlives the page).
  const UNDO_MS = 8000;
  const undoBox = document.getElementById("undo");
  let pending = null;
  function finishDelete(keepalive = false) {
    if (!pending) return;
    const { row, timer } = pending;
    pending = null;
    clearTimeout(timer);
    undoBox.hidden = true;
    remove([row.dataset.id], keepalive).then(() => {
      row.remove();
      recount();
    }, () => {
      row.hidden = false;
      changed();
    });
  }
  function undoDelete() {
    if (!pending) return;
    const { row, index, timer } = pending;
    pending = null;
    clearTimeout(timer);
    undoBox.hidden = true;
    row.hidden = false;
    document.getElementById("empty").hidden = true;
    select(index);
  }
  // The next page may be drawn before that request is done: it hides the row too.
  const LEAVING = "pochta-deleting";
  addEventListener("pagehide", () => {
    if (pending) sessionStorage.setItem(LEAVING, pending.row.dataset.id);
    finishDelete(true);
  });
  const left = sessionStorage.getItem(LEAVING);
  if (left) {
    sessionStorage.removeItem(LEAVING);
    dropRows([left]);
  }

  // Actions.
  async function deleteSelected() {
    if (page === "message") {
      await remove([body.dataset.id]);
      location.href = `${root}/`;
      return;
    }
    const row = rows()[selected];
    if (!row) return;
    finishDelete();
    row.hidden = true;
    const subject = row.querySelector("a.open").textContent;
    document.getElementById("undo-text").textContent = `Deleted “${subject}”.`;
    undoBox.hidden = false;
    pending = { row, index: selected, timer: setTimeout(finishDelete, UNDO_MS) };
    if (!rows().length) document.getElementById("empty").hidden = false;
    select(selected);
  }
  async function toggleRead() {
    if (page === "message") {
      const read = body.dataset.read !== "1";
      await setRead([body.dataset.id], read);
      body.dataset.read = read ? "1" : "0";
      document.querySelector('[data-action="toggle-read"]').textContent = read ? "Mark unread" : "Mark read";
      recount();
      return;
    }
    const row = rows()[selected];
    if (!row) return;
    const read = row.classList.contains("unread");
    await setRead([row.dataset.id], read);
    row.classList.toggle("unread", !read);
    recount();
  }
  const confirmDialog = document.getElementById("confirm-delete-all");
  confirmDialog.addEventListener("close", async () => {
    if (confirmDialog.returnValue !== "delete") return;
    await api("DELETE", {});
    dropRows(rows().map((row) => row.dataset.id));
    if (page === "message") location.href = `${root}/`;
    recount();
  });
  const actions = {
    help: () => document.getElementById("help").showModal(),
    "read-all": async () => {
      await setRead(null, true);
      rows().forEach((row) => row.classList.remove("unread"));
      recount();
    },
    "delete-all": () => { confirmDialog.returnValue = ""; confirmDialog.showModal(); },
    "toggle-read": toggleRead,
    delete: deleteSelected,
    undo: undoDelete,
    release: () => {
      const dialog = document.getElementById("release");
      dialog.querySelector(".release-answer").textContent = "";
      dialog.showModal();
    },
    "release-cancel": () => document.getElementById("release").close(),
  };
  const releaseForm = document.querySelector(".release-form");
  if (releaseForm) {
    releaseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = releaseForm.querySelector(".release-answer");
      const to = releaseForm.elements.to.value.split(",").map((a) => a.trim()).filter(Boolean);
      answer.textContent = "Sending…";
      answer.classList.remove("failed");
      try {
        const reply = await fetch(`${root}/api/v1/message/${releaseForm.dataset.id}/release`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ To: to }),
        });
        if (reply.ok) {
          answer.textContent = `Released to ${to.join(", ")}.`;
          return;
        }
        const problem = await reply.json().catch(() => ({ Error: reply.statusText }));
        answer.textContent = problem.Error || `failed (${reply.status})`;
      } catch (error) {
        answer.textContent = `failed: ${error.message}`;
      }
      answer.classList.add("failed");
    });
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) actions[button.dataset.action]();
  });

  // Keyboard.
  const search = document.querySelector(".search input");
  const keys = {
    j: () => select(selected + 1),
    k: () => select(selected - 1),
    Enter: () => { const row = rows()[selected]; if (row) location.href = row.querySelector("a.open").href; },
    Delete: deleteSelected,
    z: undoDelete,
    m: toggleRead,
    "/": () => { search.focus(); search.select(); },
    "?": actions.help,
    u: () => { if (page !== "list") location.href = `${root}/`; },
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
    const target = event.target;
    if (target.matches("input, textarea, select")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    let action = keys[event.key];
    if (page === "message" && /^[1-9]$/.test(event.key)) {
      const tab = document.querySelectorAll(".tabs a")[Number(event.key) - 1];
      action = tab ? () => { location.href = tab.href; } : null;
    }
    if (page !== "list" && ["j", "k", "Enter"].includes(event.key)) return;
    if (!action || (event.key === "Enter" && selected < 0)) return;
    event.preventDefault();
    action();
  });

  // The HTML frame's height, from the server's hint (FrameHint in frame.py): the
  // frame is an opaque origin that runs no script, so nothing inside is measured.
  // Content shorter than the window gets its own height; longer, the window's.
  const frame = document.getElementById("body-frame");
  function fitFrame() {
    const hint = (name) => Number(frame.dataset[name] || 0);
    const perLine = Math.max(16, (frame.clientWidth - 16) / 8.5);  // 16px text, 8px margins
    const lines = hint("breaks") + hint("chars") / perLine;
    const wanted = hint("pixels") + lines * 21 + 40;
    const room = Math.max(240, innerHeight - 96);
    frame.style.height = `${Math.round(Math.max(96, Math.min(wanted, room)))}px`;
  }
  if (frame && frame.dataset.chars !== undefined) {
    fitFrame();
    addEventListener("resize", fitFrame);
  }

  // Whether the store answers (/readyz): a banner says so while it does not
  // (PostgreSQL away); when it is back the list is made whole again.
  const unavailable = document.getElementById("unavailable");
  async function checkHealth() {
    let problem = "";
    try {
      const answer = await fetch(`${root}/readyz`);
      if (!answer.ok) problem = (await answer.json()).Error || "the store is not answering";
    } catch {
      problem = "pochta is not answering: is pochta serve running?";
    }
    if (problem) {
      unavailable.textContent = `${problem} · new mail waits (SMTP answers 451) until it is back`;
    } else if (!unavailable.hidden && page === "list") {
      resync();
    }
    unavailable.hidden = !problem;
  }

  refreshTimes();
  setInterval(refreshTimes, 30000);
  if (page === "list") {
    connect(1000);
    setInterval(() => { if (!document.hidden) checkHealth(); }, 5000);
  }
})();

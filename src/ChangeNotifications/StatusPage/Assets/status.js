// The status page: subscriptions with an expiry countdown, the dispatcher's stream (server-sent events) and the dead
// letters with a replay button. Plain DOM, no framework; every text is set with textContent (never parsed as HTML).
"use strict";

const api = "/status/api";
let antiforgery = "";
let clockOffset = 0; // server time minus this browser's time, so the countdown follows the service's clock
let subscriptions = [];

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

async function getJson(path) {
  const response = await fetch(api + path, { credentials: "same-origin" });
  if (response.status === 401) { location.reload(); throw new Error("signed out"); }
  if (!response.ok) throw new Error(path + ": " + response.status);
  return response.json();
}

function countdown(expiresAt) {
  if (!expiresAt) return "";
  let seconds = Math.floor((Date.parse(expiresAt) - (Date.now() + clockOffset)) / 1000);
  if (seconds <= 0) return "expired";
  const d = Math.floor(seconds / 86400); seconds -= d * 86400;
  const h = Math.floor(seconds / 3600); seconds -= h * 3600;
  const m = Math.floor(seconds / 60); seconds -= m * 60;
  return (d ? d + "d " : "") + String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0") + ":" + String(seconds).padStart(2, "0");
}

function renderSubscriptions() {
  const body = document.querySelector("#subscriptions tbody");
  body.replaceChildren();
  for (const s of subscriptions) {
    const row = body.insertRow();
    row.dataset.key = s.key;
    cell(row, s.key);
    cell(row, s.resourceType);
    cell(row, s.changeType);
    cell(row, s.state, "state state-" + s.state).title = s.failureReason ?? "";
    cell(row, countdown(s.expiresAt), "expires").dataset.expiresAt = s.expiresAt ?? "";
    cell(row, String(s.pending.items));
    cell(row, s.lastNotificationAt ? new Date(s.lastNotificationAt).toLocaleTimeString() : "");
  }
}

async function loadSubscriptions() {
  const answer = await getJson("/subscriptions");
  clockOffset = Date.parse(answer.now) - Date.now();
  subscriptions = answer.items;
  renderSubscriptions();
}

function tick() {
  for (const td of document.querySelectorAll("#subscriptions td.expires")) td.textContent = countdown(td.dataset.expiresAt);
}

async function loadDeadLetters() {
  const page = await getJson("/dead-letters");
  const body = document.querySelector("#dead-letters tbody");
  body.replaceChildren();
  for (const item of page.items) {
    const row = body.insertRow();
    row.dataset.id = item.id;
    cell(row, String(item.id));
    cell(row, item.resourceType);
    cell(row, item.resource ?? item.lifecycleEvent, "resource");
    cell(row, String(item.attempts));
    cell(row, item.lastError);
    const button = document.createElement("button");
    button.textContent = "Replay";
    button.className = "replay";
    button.addEventListener("click", () => replay(item.id, button));
    row.insertCell().append(button);
  }
}

async function replay(id, button) {
  button.disabled = true;
  const response = await fetch(`${api}/dead-letters/${id}/replay`, {
    method: "POST", credentials: "same-origin", headers: { "X-Status-Page-Token": antiforgery },
  });
  button.textContent = response.ok ? "Replayed" : "Failed (" + response.status + ")";
  await loadDeadLetters();
}

let deadLettersDue = null;
function refreshSoon() {
  if (deadLettersDue) return;
  deadLettersDue = setTimeout(() => { deadLettersDue = null; loadDeadLetters(); loadSubscriptions(); }, 500);
}

function showNotification(event) {
  const { notification: n, at } = JSON.parse(event.data);
  const list = document.getElementById("notifications");
  list.querySelector("li.empty")?.remove();
  const item = document.createElement("li");
  item.className = n.status;
  item.dataset.id = n.id;
  item.textContent = `${new Date(at).toLocaleTimeString()} #${n.id} ${n.status} ${n.changeType ?? n.lifecycleEvent ?? ""} ${n.resourceType} ${n.resource ?? ""}`
    + (n.lastError ? ` (${n.lastError})` : "");
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild.remove();
  if (n.status === "deadLettered") refreshSoon();
}

function listen() {
  const badge = document.getElementById("stream");
  const events = new EventSource(api + "/events");
  events.addEventListener("ready", () => { badge.textContent = "live"; badge.className = "badge live"; });
  events.addEventListener("notification", showNotification);
  events.onerror = () => { badge.textContent = "reconnecting…"; badge.className = "badge"; };
}

async function start() {
  const session = await getJson("/session");
  antiforgery = session.token;
  document.getElementById("user").textContent = session.user;
  listen();
  await Promise.all([loadSubscriptions(), loadDeadLetters()]);
  setInterval(tick, 1000);
  setInterval(loadSubscriptions, 30000);
}

start();

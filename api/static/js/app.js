// The dashboard: sign-in with a token, the panels its role may see (from GET /api/v1/session),
// language toggle, notifications, reports.
"use strict";

import { getBlob, getText, onUnauthorized, session } from "./api.js";
import { AlertFeed, askNotificationPermission } from "./panels/alerts.js";
import { LiveCalls, ModelAccuracy } from "./panels/calls_models.js";
import { RegulatorTracker } from "./panels/regulator.js";
import { ReviewQueue } from "./panels/review.js";
import { SilencesPanel } from "./panels/silences.js";
import { Compliance, HotTopics } from "./panels/stats_tables.js";
import { VolumeChart } from "./panels/volume.js";
import { applyTexts, lang, setLang, t } from "./i18n.js";

const $ = (selector) => document.querySelector(selector);
const PANELS = {
  alerts: (panel, ctx) => new AlertFeed(panel, {
    onState: setStatus,
    onChange: (alerts) => ctx.volume && ctx.volume.setAlerts(alerts),
    // "Silence" on an alert pre-fills the silences form (only for roles that may set one).
    onSilence: session.may("silences.write") ? (alert) => ctx.silences && ctx.silences.prefill(alert) : null,
  }),
  silences: (panel) => new SilencesPanel(panel),
  volume: (panel) => new VolumeChart(panel),
  hot: (panel) => new HotTopics(panel),
  calls: (panel) => new LiveCalls(panel),
  regulator: (panel) => new RegulatorTracker(panel),
  compliance: (panel) => new Compliance(panel),
  models: (panel) => new ModelAccuracy(panel),
  review: (panel) => new ReviewQueue(panel),
};

function setStatus(state) {
  const node = $("#status");
  node.dataset.state = state;
  node.dataset.i18n = `status_${state}`;
  node.textContent = t(`status_${state}`);
  if (state === "invalid" && session.token) {
    session.clear();
    sessionStorage.setItem("hotline-invalid", "1");
    location.reload();
  }
}

// Each panel and button names the permission it needs (data-needs): only those the role holds
// are shown and started, so the page never calls an endpoint that would refuse the role.
async function start() {
  onUnauthorized(() => setStatus("invalid"));
  try {
    await session.load(); // a wrong token shows here, at once
  } catch (error) {
    setStatus(error.status === 401 ? "invalid" : "offline");
    return;
  }
  $("#login").hidden = true;
  $("#board").hidden = false;
  $("#signed-in").hidden = false;
  $("#role-name").dataset.i18n = `role_${session.role}`;
  document.body.dataset.role = session.role;
  for (const node of document.querySelectorAll("#signed-in [data-needs]")) node.hidden = !session.may(node.dataset.needs);
  applyTexts(document);
  const ctx = {};
  // Volume first, so the alert feed can hand it markers as soon as alerts arrive.
  const order = ["volume", "alerts", "silences", "hot", "calls", "regulator", "compliance", "models", "review"];
  for (const name of order) {
    const panel = document.querySelector(`[data-panel="${name}"]`);
    panel.hidden = !session.may(panel.dataset.needs);
    if (!panel.hidden) ctx[name] = PANELS[name](panel, ctx);
  }
  if (!ctx.alerts) setStatus("connected"); // no feed to connect: the session answered
  updateNotifyButton();
}

function signOut() {
  session.clear();
  location.reload();
}

function updateNotifyButton() {
  const button = $("#notify");
  const permission = "Notification" in window ? Notification.permission : "denied";
  button.dataset.i18n = permission === "granted" ? "notify_on" : permission === "denied" ? "notify_denied" : "notify";
  button.textContent = t(button.dataset.i18n);
  button.disabled = permission !== "default";
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

async function openReport() {
  // The page needs the token, so it is fetched here and shown from a blob (no token in any URL).
  const html = await getText("/api/v1/reports/daily.html", { day: today() });
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  window.open(url, "_blank", "noopener");
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function download(path, filename) {
  const blob = await getBlob(path, { since: Math.floor(Date.now() / 1000 - 86400) });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

function main() {
  setLang(lang());
  $("#lang").addEventListener("click", () => setLang(lang() === "zh" ? "en" : "zh"));
  $("#notify").addEventListener("click", async () => { await askNotificationPermission(); updateNotifyButton(); });
  $("#logout").addEventListener("click", () => signOut());
  $("#report").addEventListener("click", () => openReport().catch((e) => setStatus(e.status === 401 ? "invalid" : "offline")));
  $("#export-complaints").addEventListener("click", () => download("/api/v1/exports/complaints.csv", "complaints.csv"));
  $("#export-alerts").addEventListener("click", () => download("/api/v1/exports/alerts.csv", "alerts.csv"));
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    session.save($("#token").value.trim(), $("#operator").value.trim());
    start();
  });
  if (session.token) start();
  else if (sessionStorage.getItem("hotline-invalid")) setStatus("invalid");
  else setStatus("loggedout");
  sessionStorage.removeItem("hotline-invalid");
}

main();

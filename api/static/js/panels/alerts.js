// Live alert feed over WS /ws/alerts: one entry per alert (events replace it), newest first,
// severity colour, why it fired, acknowledge, silence (pre-fills the silences form); browser
// notifications for new critical alerts.
"use strict";

import { openSocket, postJSON, session } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { formatTime, onLangChange, t } from "../i18n.js";

//: Alerts of the last hours are replayed on connect (stream ids are `<ms>-<seq>`).
const BACKLOG_HOURS = 6;
const MAX_SHOWN = 100;
const RENDER_DELAY_MS = 50;
const KEEP_HOURS = 24;

export class AlertFeed {
  constructor(panel, { onState, onChange, onSilence }) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.alerts = new Map();
    // alert id -> [first shown here, first published] (epoch ms; the delay is what tests measure)
    this.firstShown = new Map();
    this.publishedAt = new Map();
    this.lastId = `${Date.now() - BACKLOG_HOURS * 3600 * 1000}-0`;
    this.onChange = onChange;
    this.onSilence = onSilence || null;
    this.started = Date.now() / 1000;
    // The server picks the audience from the token's role (regulator desk, on-call: theirs only).
    this.socket = openSocket("/ws/alerts", () => ({ last_id: this.lastId }), {
      onMessage: (message) => this.receive(message),
      onState,
    });
    onLangChange(() => this.render());
    this.render();
  }

  // Messages are {stream_id, event, alert}; older servers send {stream_id, alert}.
  receive(message) {
    const alert = message.alert;
    if (!alert || !alert.alert_id) return;
    this.lastId = message.stream_id || this.lastId;
    const known = this.alerts.has(alert.alert_id);
    if (!known && message.stream_id) this.publishedAt.set(alert.alert_id, Number(message.stream_id.split("-")[0]));
    this.alerts.set(alert.alert_id, alert);
    const event = message.event || "fired";
    if (!known && event === "fired" && alert.severity === "critical" && alert.fired_at >= this.started - 60) {
      notify(alert);
    }
    this.scheduleRender();
  }

  // A reconnect replays hours of events at once: render (and redraw the chart's markers) once per
  // burst, not once per event.
  scheduleRender() {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      this.render();
      if (this.onChange) this.onChange(this.inRange(0));
    }, RENDER_DELAY_MS);
  }

  inRange(since) {
    return [...this.alerts.values()].filter((a) => a.fired_at >= since);
  }

  render() {
    // A wall screen runs for days: forget alerts older than a day.
    const cutoff = Date.now() / 1000 - KEEP_HOURS * 3600;
    for (const [id, alert] of this.alerts) {
      if (alert.fired_at < cutoff) { this.alerts.delete(id); this.firstShown.delete(id); this.publishedAt.delete(id); }
    }
    const alerts = [...this.alerts.values()].sort((a, b) => b.fired_at - a.fired_at).slice(0, MAX_SHOWN);
    clear(this.list);
    setPanelState(this.panel, alerts.length ? "ok" : "empty", "no_alerts");
    const now = Date.now();
    for (const alert of alerts) {
      if (!this.firstShown.has(alert.alert_id)) this.firstShown.set(alert.alert_id, now);
      this.list.appendChild(this.item(alert));
    }
    this.panel.dataset.count = String(this.alerts.size);
  }

  item(alert) {
    const status = alert.status || "open";
    const meta = [formatTime(alert.fired_at, true), t(`status_${status}`)];
    if ((alert.occurrences || 1) > 1) meta.push(`${alert.occurrences} ${t("occurrences")}`);
    if (alert.acked_by) meta.push(`${t("acked_by")} ${alert.acked_by}`);
    if (alert.escalated_at) meta.push(t("escalated"));
    if (alert.silenced_by) meta.push(t("silenced"));
    const group = Object.entries(alert.group || {}).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
    if (group.length) meta.push(group.join(" "));
    const li = el("li", { class: `alert sev-${alert.severity} st-${status}`, data: {
      alertId: alert.alert_id, shownAt: this.firstShown.get(alert.alert_id), publishedAt: this.publishedAt.get(alert.alert_id) ?? "",
    } }, [
      el("div", { class: "alert-head" }, [
        el("span", { class: "sev", text: alert.severity }),
        el("span", { class: "alert-title", text: alert.title }),
      ]),
      el("div", { class: "alert-reason", text: alert.reason }),
      el("div", { class: "alert-meta", text: meta.join(" · ") }),
    ]);
    const actions = el("div", { class: "alert-actions" });
    if (status === "open") {
      const button = el("button", { class: "ack", i18n: "ack", attrs: { type: "button" } });
      button.addEventListener("click", () => this.acknowledge(alert, button));
      actions.appendChild(button);
    }
    if (this.onSilence && status !== "resolved") {
      const button = el("button", { class: "alert-silence", i18n: "alert_silence", attrs: {
        type: "button", "aria-label": `${t("alert_silence")}: ${alert.title}`,
      } });
      button.addEventListener("click", () => this.onSilence(alert));
      actions.appendChild(button);
    }
    if (actions.firstChild) li.appendChild(actions);
    return li;
  }

  async acknowledge(alert, button) {
    button.disabled = true;
    button.textContent = t("acking");
    try {
      const result = await postJSON(`/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/ack`, {
        by: session.name || "dashboard",
      });
      if (result.alert) this.alerts.set(alert.alert_id, result.alert);
      this.render();
    } catch (error) {
      button.disabled = false;
      button.textContent = t("ack_failed");
      button.title = String(error.message || error);
    }
  }

  close() { this.socket.close(); }
}

function notify(alert) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(`${alert.title}`, { body: alert.reason, tag: alert.alert_id, requireInteraction: true });
  note.onclick = () => { window.focus(); note.close(); };
}

export async function askNotificationPermission() {
  if (!("Notification" in window)) return "denied";
  if (Notification.permission !== "default") return Notification.permission;
  return Notification.requestPermission();
}

// Silences (静默): mute matching alerts for a while, with a reason (GET/POST/DELETE /api/v1/silences).
// Active and pending silences first, then the last few expired ones (dimmed); each with its
// matchers as chips, reason, who set it and until when. Roles with silences.write also get an End
// button per silence and the form to set one (which the alert feed can pre-fill from an alert).
// Polled every 15 s and after every change.
"use strict";

import { ApiError, deleteJSON, every, getJSON, postJSON, session } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { lang, onLangChange, t } from "../i18n.js";

const POLL_S = 15;
//: Expired silences shown under the live ones (the API keeps a week of them).
const EXPIRED_SHOWN = 5;
export const MATCHERS = ["rule_id", "tag", "branch", "channel", "severity"];

// "14:05", or "06-13 14:05" when not today (local time).
function clock(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  const today = date.toDateString() === new Date().toDateString();
  const options = today ? { hour: "2-digit", minute: "2-digit" } : { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };
  return date.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", options);
}

// "23 min", "3 h 20 min", "1 d 4 h" (rounded up to the minute: never "0 min" while it runs).
function span(seconds) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const [min, h, d] = [t("unit_min"), t("unit_h"), t("unit_d")];
  if (minutes < 60) return `${minutes} ${min}`;
  const hours = Math.floor(minutes / 60), rest = minutes % 60;
  if (hours < 24) return rest ? `${hours} ${h} ${rest} ${min}` : `${hours} ${h}`;
  const days = Math.floor(hours / 24), restHours = hours % 24;
  return restHours ? `${days} ${d} ${restHours} ${h}` : `${days} ${d}`;
}

function fill(key, values) {
  return Object.entries(values).reduce((text, [name, value]) => text.replace(`{${name}}`, value), t(key));
}

// "rule: card-surge" / "规则：card-surge"
export function chipText(name, value) {
  const shown = name === "severity" ? t(`sev_${value}`) : value;
  return lang() === "zh" ? `${t(`matcher_${name}`)}：${shown}` : `${t(`matcher_${name}`)}: ${shown}`;
}

export class SilencesPanel {
  constructor(panel) {
    this.panel = panel;
    this.list = panel.querySelector(".silence-list");
    this.form = panel.querySelector(".silence-form");
    this.error = panel.querySelector(".silence-error");
    this.done = panel.querySelector(".silence-done");
    this.submit = this.form.querySelector("button[type=submit]");
    this.silences = [];
    this.loaded = false;
    this.canWrite = session.may("silences.write");
    this.form.hidden = !this.canWrite;
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.create(); });
    this.form.addEventListener("input", () => { this.done.hidden = true; });
    this.problem = null; // [text key, the API's detail or ""] shown next to the form
    onLangChange(() => { this.render(); this.renderError(); });
    this.stop = every(POLL_S, () => this.refresh());
  }

  async refresh() {
    try {
      const result = await getJSON("/api/v1/silences");
      const changed = !this.loaded || JSON.stringify(result.silences) !== JSON.stringify(this.silences);
      this.silences = result.silences;
      this.loaded = true;
      // An unchanged list is not redrawn (a focused End button stays focused): only the times move.
      if (changed || this.panel.dataset.state === "error") this.render();
      else this.tick();
    } catch (error) {
      setPanelState(this.panel, "error", error instanceof ApiError && error.status === 404 ? "not_available" : "load_failed");
    }
  }

  // Live ones in the API's order (newest first), then the most recently ended ones.
  shown() {
    const live = this.silences.filter((s) => s.state !== "expired");
    const expired = this.silences.filter((s) => s.state === "expired").sort((a, b) => b.ends_at - a.ends_at);
    return [live, expired.slice(0, EXPIRED_SHOWN)];
  }

  render() {
    if (!this.loaded) return;
    const focused = document.activeElement && this.list.contains(document.activeElement)
      ? document.activeElement.closest("[data-silence-id]") : null;
    const focusedId = focused ? focused.dataset.silenceId : null;
    const [live, expired] = this.shown();
    clear(this.list);
    setPanelState(this.panel, live.length ? "ok" : "empty", "silences_empty");
    this.panel.dataset.active = String(live.length);
    for (const silence of [...live, ...expired]) this.list.appendChild(this.item(silence));
    this.tick();
    if (focusedId) {
      const again = this.list.querySelector(`[data-silence-id="${CSS.escape(focusedId)}"] button`);
      if (again) again.focus();
    }
  }

  item(silence) {
    const chips = MATCHERS.filter((name) => silence.matchers[name] !== null && silence.matchers[name] !== undefined)
      .map((name) => el("span", { class: "chip", text: chipText(name, silence.matchers[name]), data: { matcher: name, value: silence.matchers[name] } }));
    const meta = [
      el("span", { class: "silence-by", text: `${t("silence_by")} ${silence.created_by}` }),
      el("span", { class: "silence-until" }),
      el("span", { class: "silence-left" }),
    ];
    if (silence.expired_by) meta.push(el("span", { class: "silence-ended-by", text: `${t("silence_ended_by")} ${silence.expired_by}` }));
    const node = el("li", { class: `silence st-${silence.state}`, data: {
      silenceId: silence.id, state: silence.state, startsAt: silence.starts_at, endsAt: silence.ends_at,
    } }, [
      el("div", { class: "silence-head" }, [
        el("span", { class: "silence-state", text: t(`silence_state_${silence.state}`) }),
        el("span", { class: "chips" }, chips),
      ]),
      el("div", { class: "silence-reason", text: silence.reason }),
      el("div", { class: "silence-meta" }, meta),
    ]);
    if (this.canWrite && silence.state !== "expired") {
      const what = chips.map((chip) => chip.textContent).join(", ");
      const button = el("button", { class: "silence-end", i18n: "silence_end", attrs: { type: "button", "aria-label": `${t("silence_end")}: ${what}` } });
      const failed = el("span", { class: "silence-end-error", attrs: { role: "alert" } });
      failed.hidden = true;
      button.addEventListener("click", () => this.end(silence, button, failed));
      node.appendChild(el("div", { class: "silence-actions" }, [button, failed]));
    }
    return node;
  }

  // The times relative to now: "until 14:05 · ends in 23 min", "starts in 5 min", "ended 13:40".
  tick() {
    const now = Date.now() / 1000;
    for (const node of this.list.querySelectorAll(".silence")) {
      const starts = Number(node.dataset.startsAt), ends = Number(node.dataset.endsAt);
      const until = node.querySelector(".silence-until"), left = node.querySelector(".silence-left");
      if (node.dataset.state === "expired" || ends <= now) {
        until.textContent = fill("silence_ended_at", { t: clock(ends) });
        left.textContent = "";
      } else if (starts > now) {
        until.textContent = `${fill("silence_from", { t: clock(starts) })} ${fill("silence_until", { t: clock(ends) })}`;
        left.textContent = fill("silence_starts_in", { in: span(starts - now) });
      } else {
        until.textContent = fill("silence_until", { t: clock(ends) });
        left.textContent = fill("silence_ends_in", { in: span(ends - now) });
      }
      left.hidden = !left.textContent;
    }
  }

  async end(silence, button, failed) {
    button.disabled = true;
    button.textContent = t("silence_ending");
    failed.hidden = true;
    try {
      await deleteJSON(`/api/v1/silences/${encodeURIComponent(silence.id)}`);
    } catch (error) {
      button.disabled = false;
      button.textContent = t("silence_end");
      failed.hidden = false;
      failed.textContent = `${t("silence_end_failed")}: ${error.detail || error.message || error}`;
      return;
    }
    await this.refresh();
  }

  // Pre-fill the form from an alert (its rule and group), and hand the reason to the keyboard.
  prefill(alert) {
    if (!this.canWrite) return;
    const group = alert.group || {};
    const values = { rule_id: alert.rule_id || "", tag: "", branch: group.branch || "", channel: group.channel || "", severity: "" };
    for (const [name, value] of Object.entries(values)) this.form.elements[name].value = value;
    this.showError(null);
    this.done.hidden = true;
    const reason = this.form.elements.reason;
    reason.focus();
    reason.scrollIntoView({ block: "center" });
  }

  showError(key, detail = "") {
    this.problem = key ? [key, detail] : null;
    this.renderError();
  }

  renderError() {
    const [key, detail] = this.problem || ["", ""];
    this.error.hidden = !key;
    this.error.textContent = key ? (detail ? `${t(key)}: ${detail}` : t(key)) : "";
  }

  async create() {
    const fields = this.form.elements;
    const matchers = {};
    for (const name of MATCHERS) {
      const value = fields[name].value.trim();
      if (value) matchers[name] = value;
    }
    const reason = fields.reason.value.trim();
    this.done.hidden = true;
    if (!Object.keys(matchers).length) { this.showError("silence_need_matcher"); fields.rule_id.focus(); return; }
    if (!reason) { this.showError("silence_need_reason"); fields.reason.focus(); return; }
    this.showError(null);
    this.submit.disabled = true;
    this.submit.textContent = t("silence_submitting");
    try {
      await postJSON("/api/v1/silences", { matchers, duration_s: Number(fields.duration.value), reason });
      for (const name of [...MATCHERS, "reason"]) fields[name].value = "";
      this.done.hidden = false;
    } catch (error) {
      this.showError("silence_failed", String(error.detail || error.message || error));
      return;
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = t("silence_submit");
    }
    await this.refresh();
  }
}

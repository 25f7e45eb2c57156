// Live calls (running transcript and risk) and model accuracy. Both read endpoints that other parts
// of the server provide; when an endpoint is missing the panel says so instead of showing anything.
"use strict";

import { ApiError, endpointExists, every, getJSON } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { formatPercent, formatTime, lang, onLangChange, t } from "../i18n.js";

const CALLS_POLL_S = 2;
const MODELS_POLL_S = 30;
const CALLS_SHOWN = 4;
const UTTERANCES_SHOWN = 8;

function missing(error) { return error instanceof ApiError && (error.status === 404 || error.status === 405); }

export class LiveCalls {
  constructor(panel) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.calls = [];
    this.available = true;
    onLangChange(() => this.render());
    this.stop = every(CALLS_POLL_S, () => this.refresh());
  }

  async refresh() {
    if (!this.available) return;
    if (!(await endpointExists("/api/v1/calls/live"))) {
      this.available = false;
      setPanelState(this.panel, "na", "not_available");
      return;
    }
    try {
      // Newest calls first; each one's transcript so far comes from its detail.
      const result = await getJSON("/api/v1/calls/live");
      const live = (result.calls || []).filter((c) => c.status === "live").reverse().slice(0, CALLS_SHOWN);
      this.calls = await Promise.all(
        live.map((c) => getJSON(`/api/v1/calls/${encodeURIComponent(c.call_id)}`).catch(() => ({ ...c, utterances: [] }))),
      );
      this.render();
    } catch (error) {
      if (missing(error)) { this.available = false; setPanelState(this.panel, "na", "not_available"); return; }
      setPanelState(this.panel, "error", "load_failed");
    }
  }

  render() {
    if (!this.available) return;
    clear(this.list);
    setPanelState(this.panel, this.calls.length ? "ok" : "empty", "no_data");
    for (const call of this.calls) {
      const risk = Number(call.max_risk || 0);
      const lines = (call.utterances || []).slice(-UTTERANCES_SHOWN).map((u) =>
        el("p", { class: `utt risk-${u.risk_level || "low"}`, text: u.text }),
      );
      if (call.partial) lines.push(el("p", { class: "utt partial", text: call.partial }));
      this.list.appendChild(
        el("li", { class: `call ${risk >= 0.7 ? "high" : risk >= 0.4 ? "medium" : "low"}` }, [
          el("div", { class: "call-head" }, [
            el("span", { class: "live-dot", i18n: "call_live" }),
            el("span", { class: "call-meta", text: [call.line, call.branch, formatTime(Date.parse(call.started_at) / 1000)].filter(Boolean).join(" · ") }),
            el("span", { class: "risk", text: `${t("risk")} ${risk.toFixed(2)}` }),
          ]),
          el("div", { class: "transcript" }, lines),
        ]),
      );
    }
  }
}

// Rows of GET /api/v1/models: one per taxonomy dimension, with its rolling (prequential) accuracy.
function modelRows(result) {
  return (result.dimensions || []).map((d) => ({
    name: (d.name && (d.name[lang()] || d.name.zh || d.name.en)) || d.id,
    accuracy: typeof d.prequential_accuracy === "number" ? d.prequential_accuracy : null,
    labels: d.labels ?? null,
    version: result.version || "",
  }));
}

export class ModelAccuracy {
  constructor(panel) {
    this.panel = panel;
    this.body = panel.querySelector("tbody");
    this.rows = [];
    this.available = true;
    onLangChange(() => this.render());
    this.stop = every(MODELS_POLL_S, () => this.refresh());
  }

  async refresh() {
    if (!this.available) return;
    if (!(await endpointExists("/api/v1/models"))) {
      this.available = false;
      setPanelState(this.panel, "na", "not_available");
      return;
    }
    try {
      this.result = await getJSON("/api/v1/models");
      this.render();
    } catch (error) {
      if (missing(error)) { this.available = false; setPanelState(this.panel, "na", "not_available"); return; }
      setPanelState(this.panel, "error", "load_failed");
    }
  }

  render() {
    if (!this.available || !this.result) return;
    this.rows = modelRows(this.result);
    clear(this.body);
    setPanelState(this.panel, this.rows.length ? "ok" : "empty", "no_data");
    for (const row of this.rows) {
      this.body.appendChild(
        el("tr", {}, [
          el("td", { text: row.name }),
          el("td", { class: "n", text: typeof row.accuracy === "number" ? formatPercent(row.accuracy) : "—" }),
          el("td", { class: "n", text: row.labels ?? "—" }),
          el("td", { class: "version", text: row.version }),
        ]),
      );
    }
  }
}

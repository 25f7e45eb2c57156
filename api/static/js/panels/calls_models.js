// Live calls (running transcript and risk), pushed over WS /ws/live-calls, and model accuracy (read
// from GET /api/v1/models; when that endpoint is missing the panel says so instead of showing anything).
// A two-channel call's utterances name their speaker ("customer" or "agent"): each line is labelled
// and styled by speaker; a mono call's ("mixed", or no speaker in older records) are not labelled.
"use strict";

import { ApiError, endpointExists, every, getJSON, openSocket } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { formatPercent, formatTime, lang, onLangChange, t } from "../i18n.js";

const MODELS_POLL_S = 30;
const CALLS_SHOWN = 4;
// The last sentences of each call: enough for a couple of exchanges between customer and agent,
// few enough that the calls below stay on screen with the wall layout's larger transcript.
const UTTERANCES_SHOWN = 6;
// Words in progress change several times a second per call: redraw at most this often.
const RENDER_EVERY_MS = 150;

function missing(error) { return error instanceof ApiError && (error.status === 404 || error.status === 405); }

function riskClass(risk) { return risk >= 0.7 ? "high" : risk >= 0.4 ? "medium" : "low"; }

// Who said an utterance: "customer" or "agent" on a two-channel call; "mixed" (both voices in one
// channel) on a mono call, and for records from before calls had a speaker.
export function speakerOf(utterance) {
  const speaker = utterance && utterance.speaker;
  return speaker === "customer" || speaker === "agent" ? speaker : "mixed";
}

// Escalation risk is the customer's: an agent's words never raise it (they score 0 anyway).
function counts(utterance) { return speakerOf(utterance) !== "agent"; }

// One transcript line: the speaker's label (none on a mono call), then the text.
function utteranceLine(u, latest) {
  const speaker = speakerOf(u);
  const classes = ["utt", `speaker-${speaker}`];
  if (counts(u)) classes.push(`risk-${u.risk_level || "low"}`);
  if (latest) classes.push("latest");
  return el("p", { class: classes.join(" "), data: { speaker } }, [
    speaker === "mixed" ? null : el("span", { class: "speaker", i18n: `speaker_${speaker}` }),
    el("span", { class: "utt-text", text: u.text }),
  ]);
}

export class LiveCalls {
  constructor(panel) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.calls = new Map(); // call_id -> {call_id, line, branch, started_at, max_risk, partial, utterances}
    this.available = true;
    this.renderTimer = null;
    onLangChange(() => this.render());
    // The socket sends a snapshot of the live calls on every (re)connect, then each change.
    this.socket = openSocket("/ws/live-calls", () => ({}), {
      onMessage: (message) => this.apply(message),
      onState: (state) => {
        if (state === "invalid") { this.available = false; setPanelState(this.panel, "na", "not_available"); }
        else if (state === "offline") setPanelState(this.panel, "error", "load_failed");
      },
    });
  }

  stop() { this.socket.close(); }

  apply(message) {
    switch (message.event) {
      case "snapshot":
        this.calls = new Map((message.calls || []).filter((c) => c.status === "live").map((c) => [c.call_id, this.entry(c)]));
        break;
      case "started":
        this.calls.set(message.call_id, { ...this.entry(message.call), ...this.keep(message.call_id) });
        break;
      case "partial":
        this.call(message.call_id).partial = message.partial || "";
        break;
      case "utterance": {
        const call = this.call(message.call_id);
        const u = message.utterance;
        if (!call.utterances.some((x) => x.index === u.index)) {
          call.utterances.push(u);
          call.utterances.sort((a, b) => a.index - b.index);
        }
        call.partial = "";
        if (counts(u)) call.max_risk = Math.max(Number(call.max_risk || 0), Number(u.risk || 0));
        break;
      }
      case "ended":
        this.calls.delete(message.call_id);
        break;
      default:
        return;
    }
    this.scheduleRender();
  }

  entry(summary) {
    return { ...summary, max_risk: Number(summary.max_risk || 0), partial: summary.partial || "", utterances: summary.utterances || [] };
  }

  // What a repeated "started" must not lose: the transcript already shown.
  keep(callId) {
    const known = this.calls.get(callId);
    return known ? { utterances: known.utterances, partial: known.partial, max_risk: known.max_risk } : {};
  }

  call(callId) {
    if (!this.calls.has(callId)) this.calls.set(callId, this.entry({ call_id: callId }));
    return this.calls.get(callId);
  }

  scheduleRender() {
    if (this.renderTimer !== null) return;
    this.renderTimer = setTimeout(() => { this.renderTimer = null; this.render(); }, RENDER_EVERY_MS);
  }

  render() {
    if (!this.available) return;
    clear(this.list);
    // Newest calls first.
    const shown = [...this.calls.values()]
      .sort((a, b) => Date.parse(b.started_at || 0) - Date.parse(a.started_at || 0))
      .slice(0, CALLS_SHOWN);
    setPanelState(this.panel, shown.length ? "ok" : "empty", "no_data");
    for (const call of shown) {
      const risk = Number(call.max_risk || 0);
      const recent = call.utterances.slice(-UTTERANCES_SHOWN);
      const lines = recent.map((u, i) => utteranceLine(u, i === recent.length - 1));
      // Words in progress (they change until the sentence ends): set apart from the final lines.
      if (call.partial) lines.push(el("p", { class: "utt partial", text: call.partial }));
      const started = call.started_at ? formatTime(Date.parse(call.started_at) / 1000) : "";
      this.list.appendChild(
        el("li", { class: `call ${riskClass(risk)}`, data: { callId: call.call_id } }, [
          el("div", { class: "call-head" }, [
            el("span", { class: "live-dot", i18n: "call_live" }),
            el("span", { class: "call-meta", text: [call.line, call.branch, started].filter(Boolean).join(" · ") }),
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

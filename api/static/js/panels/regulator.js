// Regulator-forwarded tracker: each case with its three deadlines, counting down every second.
// Polled every 30 s from GET /api/v1/stats/regulator-cases; the countdown runs in the browser.
"use strict";

import { ApiError, every, getJSON } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { deadlineLabel, formatDuration, formatTime, onLangChange, t } from "../i18n.js";

const POLL_S = 30;
const SHOWN = 50;
// Open cases first, the most urgent (least time left) on top.
const URGENCY = { breached: 0, warning: 1, open: 2, paused: 3, late: 4, met: 5 };

export class RegulatorTracker {
  constructor(panel) {
    this.panel = panel;
    this.list = panel.querySelector("ol");
    this.cases = [];
    this.filter = "";
    const box = panel.querySelector(".case-filter");
    if (box) box.addEventListener("input", () => { this.filter = box.value.trim().toLowerCase(); this.render(); });
    this.fetchedAt = Date.now() / 1000;
    onLangChange(() => this.render());
    this.stop = every(POLL_S, () => this.refresh());
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  async refresh() {
    try {
      const result = await getJSON("/api/v1/stats/regulator-cases", { limit: 200 });
      this.cases = result.cases;
      this.fetchedAt = Date.now() / 1000;
      this.render();
    } catch (error) {
      setPanelState(this.panel, "error", error instanceof ApiError && error.status === 404 ? "not_available" : "load_failed");
    }
  }

  static urgency(item) {
    const open = item.deadlines.filter((d) => d.reached_at === null);
    const worst = Math.min(...item.deadlines.map((d) => URGENCY[d.state] ?? 9));
    const left = open.length ? Math.min(...open.map((d) => d.remaining_s)) : Infinity;
    return [worst, left];
  }

  render() {
    clear(this.list);
    setPanelState(this.panel, this.cases.length ? "ok" : "empty", "no_data");
    const wanted = (c) => !this.filter
      || [c.regulator_ref, c.event_id, c.branch, c.excerpt].some((v) => (v || "").toLowerCase().includes(this.filter));
    const sorted = this.cases.filter(wanted).sort((a, b) => {
      const [wa, la] = RegulatorTracker.urgency(a), [wb, lb] = RegulatorTracker.urgency(b);
      return wa - wb || la - lb;
    });
    for (const item of sorted.slice(0, SHOWN)) {
      const deadlines = item.deadlines.map((d) =>
        el("div", { class: `deadline st-${d.state}`, data: { remaining: d.remaining_s, reached: d.reached_at ?? "" } }, [
          el("span", { class: "dl-kind", text: deadlineLabel(d.kind, d.target_s) }),
          el("span", { class: "dl-state", text: t(`state_${d.state}`) }),
          el("span", { class: "dl-clock" }),
        ]),
      );
      this.list.appendChild(
        el("li", { class: "case" }, [
          el("div", { class: "case-head" }, [
            el("span", { class: "ref", text: item.regulator_ref || item.event_id }),
            el("span", { class: "case-meta", text: `${t("received")} ${formatTime(item.received_at, true)} · ${item.branch || "—"}` }),
          ]),
          el("div", { class: "excerpt", text: item.excerpt }),
          el("div", { class: "deadlines" }, deadlines),
        ]),
      );
    }
    this.tick();
  }

  // Update every open countdown from the time elapsed since the data was fetched.
  tick() {
    const elapsed = Date.now() / 1000 - this.fetchedAt;
    for (const node of this.list.querySelectorAll(".deadline")) {
      const clock = node.querySelector(".dl-clock");
      if (node.dataset.reached) { clock.textContent = ""; continue; }
      const paused = node.classList.contains("st-paused");
      const left = Number(node.dataset.remaining) - (paused ? 0 : elapsed);
      clock.textContent = left >= 0 ? `${formatDuration(left)} ${t("remaining")}` : `${t("overdue_by")} ${formatDuration(left)}`;
      node.classList.toggle("overdue-now", left < 0);
    }
  }
}

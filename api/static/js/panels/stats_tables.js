// Hot topics (top tags of the last hour with growth) and deadline compliance: polled tables.
"use strict";

import { ApiError, every, getJSON } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { deadlineLabel, formatPercent, onLangChange, t } from "../i18n.js";

function failed(panel, error) {
  setPanelState(panel, "error", error instanceof ApiError && error.status === 404 ? "not_available" : "load_failed");
}

export class HotTopics {
  constructor(panel) {
    this.panel = panel;
    this.body = panel.querySelector("tbody");
    this.rows = [];
    onLangChange(() => this.render());
    this.stop = every(10, () => this.refresh());
  }

  async refresh() {
    try {
      const result = await getJSON("/api/v1/stats/hot-tags", { limit: 10 });
      this.rows = result.tags;
      this.render();
    } catch (error) {
      failed(this.panel, error);
    }
  }

  render() {
    clear(this.body);
    setPanelState(this.panel, this.rows.length ? "ok" : "empty", "no_data");
    const peak = Math.max(1, ...this.rows.map((r) => r.count));
    for (const row of this.rows) {
      const growth = row.growth === null ? t("new_tag") : `${row.growth >= 0 ? "▲" : "▼"} ${formatPercent(Math.abs(row.growth))}`;
      const bar = el("div", { class: "bar" });
      bar.style.width = `${Math.round((100 * row.count) / peak)}%`;
      this.body.appendChild(
        el("tr", {}, [
          el("td", { class: "tag" }, [el("span", { class: "dim", text: row.dimension }), el("span", { text: row.tag })]),
          el("td", { class: "n", text: row.count }),
          el("td", { class: `n ${row.growth === null || row.growth > 0.5 ? "up" : ""}`, text: growth }),
          el("td", { class: "barcell" }, [bar]),
        ]),
      );
    }
  }
}

export class Compliance {
  constructor(panel) {
    this.panel = panel;
    this.box = panel.querySelector(".gauges");
    this.figures = [];
    onLangChange(() => this.render());
    this.stop = every(60, () => this.refresh());
  }

  async refresh() {
    try {
      const result = await getJSON("/api/v1/stats/deadline-compliance", {});
      this.figures = result.deadlines;
      this.render();
    } catch (error) {
      failed(this.panel, error);
    }
  }

  render() {
    clear(this.box);
    setPanelState(this.panel, "ok");
    for (const f of this.figures) {
      const share = f.share;
      const level = share === null ? "none" : share >= 0.95 ? "good" : share >= 0.8 ? "fair" : "poor";
      const fill = el("div", { class: `fill ${level}` });
      fill.style.width = `${share === null ? 0 : Math.round(share * 100)}%`;
      this.box.appendChild(
        el("div", { class: "gauge", data: { kind: f.kind } }, [
          el("div", { class: "gauge-label", text: deadlineLabel(f.kind, f.target_s) }),
          el("div", { class: `gauge-value ${level}`, text: share === null ? t("nothing_due") : formatPercent(share) }),
          el("div", { class: "gauge-track" }, [fill]),
          el("div", {
            class: "gauge-meta",
            text: `${t("met")} ${f.met} · ${t("late")} ${f.late} · ${t("overdue")} ${f.overdue}`,
          }),
        ]),
      );
    }
  }
}

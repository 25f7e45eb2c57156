// Complaint volume of the last hours (all complaints and regulator-forwarded) with alert markers.
// Polled every 10 s from GET /api/v1/stats/volume; markers come from the live alert feed.
"use strict";

import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { ApiError, every, getJSON } from "../api.js";
import { setPanelState } from "../dom.js";
import { onLangChange, t } from "../i18n.js";

const POLL_S = 10;
const SEVERITY_COLOURS = { critical: "#ef4444", warning: "#f59e0b", info: "#38bdf8" };

export class VolumeChart {
  constructor(panel) {
    this.panel = panel;
    this.box = panel.querySelector(".chart");
    this.hours = 6;
    this.alerts = [];
    this.data = [[], [], []];
    this.plot = null;
    for (const button of panel.querySelectorAll("[data-hours]")) {
      button.addEventListener("click", () => {
        this.hours = Number(button.dataset.hours);
        for (const b of panel.querySelectorAll("[data-hours]")) b.classList.toggle("active", b === button);
        this.refresh();
      });
    }
    onLangChange(() => this.build());
    new ResizeObserver(() => this.resize()).observe(this.box);
    this.stop = every(POLL_S, () => this.refresh());
  }

  setAlerts(alerts) {
    this.alerts = alerts;
    if (this.plot) this.plot.redraw(false);
  }

  async refresh() {
    const now = Date.now() / 1000;
    try {
      const volume = await getJSON("/api/v1/stats/volume", {
        since: Math.floor(now - this.hours * 3600),
        granularity: this.hours <= 6 ? "minute" : "hour",
      });
      const [total, regulator] = volume.series;
      this.data = [volume.buckets, total.counts, regulator ? regulator.counts : total.counts.map(() => 0)];
      this.panel.dataset.points = String(volume.buckets.length);
      this.panel.dataset.total = String(total.total);
      this.panel.dataset.granularity = volume.granularity;
      setPanelState(this.panel, total.total > 0 ? "ok" : "empty", "no_data");
      if (!this.plot) this.build(); else this.plot.setData(this.data);
    } catch (error) {
      setPanelState(this.panel, "error", error instanceof ApiError && error.status === 404 ? "not_available" : "load_failed");
    }
  }

  build() {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    const { width, height } = this.size();
    const chart = this;
    const options = {
      width, height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      // The x axis runs to now, so an alert in the current (partial) bucket still gets its marker.
      scales: { x: { time: true, range: (u, min, max) => [min, Math.max(max, Date.now() / 1000)] } },
      axes: [
        { stroke: "#94a3b8", grid: { stroke: "#1e293b" }, ticks: { stroke: "#334155" } },
        { stroke: "#94a3b8", grid: { stroke: "#1e293b" }, ticks: { stroke: "#334155" }, size: 56 },
      ],
      series: [
        {},
        { label: t("total"), stroke: "#60a5fa", width: 2, fill: "rgba(96,165,250,0.15)" },
        { label: t("regulator_forwarded"), stroke: "#f472b6", width: 2 },
      ],
      hooks: { draw: [(u) => chart.drawMarkers(u)] },
    };
    this.plot = new uPlot(options, this.data, this.box);
  }

  // A vertical line at each alert's firing time, in its severity's colour.
  drawMarkers(u) {
    const [lo, hi] = [u.scales.x.min, u.scales.x.max];
    const { ctx } = u;
    const top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
    let drawn = 0;
    ctx.save();
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const alert of this.alerts) {
      if (alert.fired_at < lo || alert.fired_at > hi) continue;
      const x = Math.round(u.valToPos(alert.fired_at, "x", true));
      ctx.strokeStyle = SEVERITY_COLOURS[alert.severity] || "#e2e8f0";
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      drawn += 1;
    }
    ctx.restore();
    this.panel.dataset.markers = String(drawn);
  }

  size() {
    const rect = this.box.getBoundingClientRect();
    return { width: Math.max(200, Math.floor(rect.width)), height: Math.max(160, Math.floor(rect.height) - 40) };
  }

  resize() {
    if (this.plot) this.plot.setSize(this.size());
  }
}

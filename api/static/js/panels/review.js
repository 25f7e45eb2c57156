// Review queue (待复核): the complaints the model is least sure of in one dimension
// (GET /api/v1/review, lowest margin first), each with a tag picker. Submitting posts a label
// (POST /api/v1/complaints/{id}/labels, the learning loop) and the item leaves the list.
// Polled every 30 s; a tag picked but not yet submitted is kept across polls.
"use strict";

import { ApiError, every, getJSON, postJSON, session } from "../api.js";
import { clear, el, setPanelState } from "../dom.js";
import { formatPercent, formatTime, lang, onLangChange, t } from "../i18n.js";

const POLL_S = 30;
const LIMIT = 20;
const DIMENSION_KEY = "hotline-review-dimension";

function failed(panel, error) {
  setPanelState(panel, "error", error instanceof ApiError && error.status === 404 ? "not_available" : "load_failed");
}

function displayName(name) {
  return (name && (name[lang()] || name.zh || name.en)) || "";
}

export class ReviewQueue {
  constructor(panel) {
    this.panel = panel;
    this.list = panel.querySelector(".review-list");
    this.picker = panel.querySelector(".review-dimension");
    this.dimensions = [];
    this.dimension = null; // the queue's dimension, with the tags a label may use
    this.items = [];
    this.chosen = new Map(); // complaint id -> tag picked, not yet submitted
    this.sent = new Set(); // labelled from this page: never shown again, even if a poll races the archive
    this.picker.addEventListener("change", () => {
      localStorage.setItem(DIMENSION_KEY, this.picker.value);
      this.chosen.clear();
      this.items = [];
      this.render();
      this.refresh();
    });
    onLangChange(() => { this.renderPicker(); this.render(); });
    this.stop = every(POLL_S, () => this.refresh());
  }

  async loadDimensions() {
    this.dimensions = (await getJSON("/api/v1/review/dimensions")).dimensions;
    const stored = localStorage.getItem(DIMENSION_KEY);
    const wanted = this.dimensions.some((d) => d.id === stored) ? stored : (this.dimensions[0] || {}).id;
    this.renderPicker(wanted);
  }

  renderPicker(selected = this.picker.value) {
    clear(this.picker);
    for (const d of this.dimensions) {
      this.picker.appendChild(el("option", { text: displayName(d.name), attrs: { value: d.id } }));
    }
    if (selected) this.picker.value = selected;
  }

  async refresh() {
    try {
      if (!this.dimensions.length) await this.loadDimensions();
      const dimension = this.picker.value;
      if (!dimension) return;
      const result = await getJSON("/api/v1/review", { dimension, limit: LIMIT });
      if (dimension !== this.picker.value) return; // the reviewer switched meanwhile
      const items = result.items.filter((item) => !this.sent.has(`${dimension}|${item.complaint_id}`));
      const same = JSON.stringify([result.dimension, items]) === JSON.stringify([this.dimension, this.items]);
      this.dimension = result.dimension;
      this.items = items;
      if (!same || this.panel.dataset.state !== "ok") this.render(); // an unchanged list keeps a picker open
    } catch (error) {
      failed(this.panel, error);
    }
  }

  render() {
    clear(this.list);
    this.panel.dataset.items = String(this.items.length);
    setPanelState(this.panel, this.items.length ? "ok" : "empty", "review_empty");
    for (const item of this.items) this.list.appendChild(this.renderItem(item));
  }

  renderItem(item) {
    const dimension = this.dimension;
    const tags = dimension ? dimension.tags : [];
    const select = el("select", { class: "review-tag", attrs: { "aria-label": t("review_pick") } });
    if (!tags.some((tag) => tag.id === item.tag)) select.appendChild(el("option", { text: item.tag, attrs: { value: item.tag } }));
    for (const tag of tags) {
      const indent = "\u00a0\u00a0".repeat(Math.max(0, tag.depth - 1));
      select.appendChild(el("option", { text: `${indent}${displayName(tag.name)} · ${tag.id}`, attrs: { value: tag.id } }));
    }
    select.value = this.chosen.get(item.complaint_id) || item.tag;
    select.addEventListener("change", () => this.chosen.set(item.complaint_id, select.value));
    const predicted = tags.find((tag) => tag.id === item.tag);
    const button = el("button", { class: "review-submit", attrs: { type: "button" }, i18n: "review_submit" });
    const error = el("span", { class: "review-error" });
    error.hidden = true;
    const node = el("li", { class: "review-item", data: { complaintId: item.complaint_id, margin: item.margin, tag: item.tag } }, [
      el("div", { class: "review-head" }, [
        el("span", { class: "review-margin", text: `${t("margin")} ${item.margin.toFixed(2)}` }),
        el("span", { class: "review-meta", text: `${t("received")} ${formatTime(item.received_at, true)} · ${item.channel}${item.regulator_forwarded ? ` · ${t("regulator_forwarded")}` : ""}` }),
      ]),
      el("div", { class: "review-text", text: item.text }),
      el("div", { class: "review-guess" }, [
        el("span", { class: "review-guess-label", text: t("review_model_says") }),
        el("span", { class: "review-guess-tag", text: predicted ? displayName(predicted.name) : item.tag }),
        el("span", { class: "review-confidence", text: `${t("confidence")} ${formatPercent(item.confidence)}` }),
      ]),
      el("div", { class: "review-actions" }, [select, button, error]),
    ]);
    button.addEventListener("click", () => this.submit(item, select, button, error));
    return node;
  }

  async submit(item, select, button, error) {
    const dimension = this.dimension.id;
    button.disabled = true;
    button.textContent = t("review_sending");
    error.hidden = true;
    try {
      const body = { dimension, tag: select.value };
      if (session.name) body.who = session.name;
      await postJSON(`/api/v1/complaints/${encodeURIComponent(item.complaint_id)}/labels`, body);
      this.sent.add(`${dimension}|${item.complaint_id}`);
      this.chosen.delete(item.complaint_id);
      this.items = this.items.filter((other) => other.complaint_id !== item.complaint_id);
      this.render();
    } catch (failure) {
      button.disabled = false;
      button.textContent = t("review_submit");
      error.hidden = false;
      error.textContent = failure instanceof ApiError && failure.status === 503 ? t("review_retry") : t("review_failed");
    }
  }
}

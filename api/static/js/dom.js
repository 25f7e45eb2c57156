// Building DOM nodes from data. Text goes in with textContent only, never innerHTML: complaint
// texts, tags and alert reasons come from customers.
"use strict";

import { t } from "./i18n.js";

export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.class) node.className = options.class;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.i18n) { node.dataset.i18n = options.i18n; node.textContent = t(options.i18n); }
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, String(value));
  for (const [name, value] of Object.entries(options.data || {})) node.dataset[name] = String(value);
  if (options.title) node.title = options.title;
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A panel body's state: "ok" (content shown), "na" (endpoint missing), "error", "empty".
export function setPanelState(panel, state, messageKey) {
  panel.dataset.state = state;
  const note = panel.querySelector(".panel-note");
  if (!note) return;
  if (state === "ok") { note.hidden = true; return; }
  note.hidden = false;
  note.dataset.i18n = messageKey;
  note.textContent = t(messageKey);
}

// Chinese (default) and English texts of the dashboard; the choice is kept in localStorage.
"use strict";

const TEXTS = {
  zh: {
    title: "投诉热线实时监控", subtitle: "Hotline Monitor",
    status_connected: "已连接", status_connecting: "连接中…", status_offline: "连接中断，重连中",
    status_invalid: "令牌无效", status_loggedout: "未登录",
    login_title: "登录", login_token: "API 令牌", login_name: "您的姓名（用于确认告警）",
    login_role: "岗位", login_submit: "进入监控",
    role_monitoring: "监控室", role_regulator_desk: "监管对接", role_oncall: "值班经理",
    role_monitor: "监控室", role_admin: "管理员", role_ingest: "接入系统",
    lang_toggle: "English", notify: "开启通知", notify_on: "通知已开启", notify_denied: "通知被拒绝",
    report: "日报", logout: "退出", export_complaints: "导出投诉 CSV", export_alerts: "导出告警 CSV",
    panel_alerts: "实时告警", panel_volume: "投诉量", panel_hot: "热点话题", panel_calls: "实时通话",
    panel_regulator: "监管转办跟踪", panel_compliance: "时限达标率", panel_models: "模型准确率",
    panel_matrix: "网点 × 标签",
    not_available: "暂不可用：服务端尚未提供此接口", load_failed: "加载失败，稍后重试", no_data: "暂无数据",
    no_alerts: "暂无告警", ack: "确认", acking: "确认中…", ack_failed: "确认失败",
    status_open: "待处理", status_acknowledged: "已确认", status_resolved: "已解决", escalated: "已升级",
    acked_by: "确认人", occurrences: "次", count: "数量", previous: "上一周期", growth: "增长",
    tag: "标签", dimension: "维度", branch: "网点", new_tag: "新出现", total: "全部投诉",
    regulator_forwarded: "监管转办", range_1h: "1 小时", range_6h: "6 小时", range_24h: "24 小时",
    alert_marker: "告警", received: "受理", due: "截止", remaining: "剩余", overdue_by: "已超时",
    kind_responded: "首次响应", kind_resolved: "解决", kind_closed: "处理决定",
    state_met: "已达标", state_late: "逾期完成", state_breached: "已超时", state_warning: "临近截止",
    state_paused: "已暂停", state_open: "进行中",
    share_met: "达标率", met: "达标", late: "逾期完成", overdue: "逾期未办", nothing_due: "尚无到期",
    risk: "风险", call_live: "通话中", transcript: "实时转写", accuracy: "准确率", labels: "标注数",
    version: "版本", updated: "更新于", window_days: "近 30 天", filter_cases: "按编号、网点或内容筛选",
    panel_review: "待复核", review_hint: "模型最没把握的投诉，请优先标注", review_dimension: "标注维度",
    review_empty: "暂无待复核的投诉", review_pick: "正确的标签", review_submit: "提交标注",
    review_sending: "提交中…", review_failed: "提交失败", review_retry: "服务暂不可用，请稍后重试",
    review_model_says: "模型判断", margin: "置信差", confidence: "置信度",
    speaker_customer: "客户", speaker_agent: "坐席",
    panel_silences: "静默", silences_hint: "匹配的告警照常记录，但不推送、不升级",
    silences_empty: "暂无生效的静默", silence_new: "新建静默",
    matcher_rule_id: "规则", matcher_tag: "标签", matcher_branch: "网点", matcher_channel: "渠道",
    matcher_severity: "级别", severity_any: "任意", sev_info: "提示", sev_warning: "警告", sev_critical: "严重",
    silence_duration: "时长", dur_1800: "30 分钟", dur_3600: "1 小时", dur_14400: "4 小时", dur_86400: "1 天",
    silence_reason: "原因", silence_reason_hint: "如：已知故障，工单 INC-42", silence_submit: "设置静默",
    silence_submitting: "提交中…", silence_created: "已设置静默", silence_failed: "设置失败",
    silence_need_matcher: "请至少填写一个匹配条件（规则、标签、网点、渠道或级别）", silence_need_reason: "请填写原因",
    silence_end: "结束", silence_ending: "结束中…", silence_end_failed: "结束失败",
    silence_state_active: "生效中", silence_state_pending: "待生效", silence_state_expired: "已结束",
    silence_by: "设置人", silence_ended_by: "结束人", silence_until: "至 {t}", silence_from: "自 {t}",
    silence_ends_in: "{in}后结束", silence_starts_in: "{in}后开始", silence_ended_at: "已于 {t} 结束",
    unit_min: "分钟", unit_h: "小时", unit_d: "天", alert_silence: "静默", silenced: "已静默",
  },
  en: {
    title: "Hotline Monitor", subtitle: "投诉热线实时监控",
    status_connected: "Connected", status_connecting: "Connecting…", status_offline: "Disconnected, retrying",
    status_invalid: "Invalid token", status_loggedout: "Not signed in",
    login_title: "Sign in", login_token: "API token", login_name: "Your name (recorded when you acknowledge)",
    login_role: "Desk", login_submit: "Open the dashboard",
    role_monitoring: "Monitoring room", role_regulator_desk: "Regulator desk", role_oncall: "On-call manager",
    role_monitor: "Monitoring room", role_admin: "Administrator", role_ingest: "Ingest system",
    lang_toggle: "中文", notify: "Enable notifications", notify_on: "Notifications on",
    notify_denied: "Notifications blocked",
    report: "Daily report", logout: "Sign out", export_complaints: "Export complaints CSV",
    export_alerts: "Export alerts CSV",
    panel_alerts: "Live alerts", panel_volume: "Complaint volume", panel_hot: "Hot topics",
    panel_calls: "Live calls", panel_regulator: "Regulator-forwarded tracker",
    panel_compliance: "Deadline compliance", panel_models: "Model accuracy", panel_matrix: "Branch × tag",
    not_available: "Not available: the server does not provide this endpoint yet",
    load_failed: "Could not load; retrying", no_data: "No data yet",
    no_alerts: "No alerts", ack: "Acknowledge", acking: "Acknowledging…", ack_failed: "Acknowledge failed",
    status_open: "Open", status_acknowledged: "Acknowledged", status_resolved: "Resolved", escalated: "Escalated",
    acked_by: "by", occurrences: "×", count: "Count", previous: "Previous", growth: "Growth",
    tag: "Tag", dimension: "Dimension", branch: "Branch", new_tag: "new", total: "All complaints",
    regulator_forwarded: "Regulator-forwarded", range_1h: "1 h", range_6h: "6 h", range_24h: "24 h",
    alert_marker: "alert", received: "Received", due: "Due", remaining: "left", overdue_by: "overdue",
    kind_responded: "First response", kind_resolved: "Resolved", kind_closed: "Decision",
    state_met: "Met", state_late: "Late", state_breached: "Breached", state_warning: "Due soon",
    state_paused: "Paused", state_open: "Running",
    share_met: "Met", met: "met", late: "late", overdue: "overdue", nothing_due: "nothing due yet",
    risk: "Risk", call_live: "Live", transcript: "Transcript", accuracy: "Accuracy", labels: "Labels",
    version: "Version", updated: "Updated", window_days: "last 30 days",
    filter_cases: "Filter by ref, branch or text",
    panel_review: "Review queue", review_hint: "what the model is least sure of: label these first",
    review_dimension: "Dimension to label", review_empty: "Nothing to review",
    review_pick: "The correct tag", review_submit: "Submit label", review_sending: "Submitting…",
    review_failed: "Could not submit", review_retry: "Service unavailable, retry shortly",
    review_model_says: "Model says", margin: "margin", confidence: "confidence",
    speaker_customer: "Customer", speaker_agent: "Agent",
    panel_silences: "Silences", silences_hint: "matching alerts are recorded but not pushed or escalated",
    silences_empty: "No active silences", silence_new: "New silence",
    matcher_rule_id: "rule", matcher_tag: "tag", matcher_branch: "branch", matcher_channel: "channel",
    matcher_severity: "severity", severity_any: "any", sev_info: "info", sev_warning: "warning",
    sev_critical: "critical",
    silence_duration: "duration", dur_1800: "30 min", dur_3600: "1 h", dur_14400: "4 h", dur_86400: "1 day",
    silence_reason: "reason", silence_reason_hint: "e.g. known outage, ticket INC-42", silence_submit: "Set silence",
    silence_submitting: "Setting…", silence_created: "Silence set", silence_failed: "Could not set the silence",
    silence_need_matcher: "Give at least one matcher (rule, tag, branch, channel or severity)",
    silence_need_reason: "Give a reason",
    silence_end: "End", silence_ending: "Ending…", silence_end_failed: "Could not end",
    silence_state_active: "Active", silence_state_pending: "Pending", silence_state_expired: "Expired",
    silence_by: "set by", silence_ended_by: "ended by", silence_until: "until {t}", silence_from: "from {t}",
    silence_ends_in: "ends in {in}", silence_starts_in: "starts in {in}", silence_ended_at: "ended {t}",
    unit_min: "min", unit_h: "h", unit_d: "d", alert_silence: "Silence", silenced: "silenced",
  },
};

const listeners = [];
let current = localStorage.getItem("hotline-lang") === "en" ? "en" : "zh";

export function lang() { return current; }

export function t(key) { return TEXTS[current][key] ?? TEXTS.zh[key] ?? key; }

export function setLang(code) {
  current = code === "en" ? "en" : "zh";
  localStorage.setItem("hotline-lang", current);
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  applyTexts(document);
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) { listeners.push(fn); }

// Every element with data-i18n gets its text (textContent only) in the current language.
export function applyTexts(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) {
    node.title = t(node.dataset.i18nTitle);
    node.setAttribute("aria-label", node.title);
  }
}

export function formatTime(epochSeconds, withDate = false) {
  const options = withDate
    ? { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return new Date(epochSeconds * 1000).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", options);
}

export function formatDuration(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const units = current === "zh" ? ["天", "时", "分", "秒"] : ["d", "h", "m", "s"];
  if (d > 0) return `${d}${units[0]} ${h}${units[1]}`;
  if (h > 0) return `${h}${units[1]} ${m}${units[2]}`;
  return `${m}${units[2]} ${s % 60}${units[3]}`;
}

const MINUTE_S = 60, HOUR_S = 3600, DAY_S = 86400;
// Smallest whole count a limit is shown in days or hours: "48 h" rather than "2 days", "60 min"
// rather than "1 h" (the way deadlines are usually stated).
const LIMIT_DAYS_FROM = 3, LIMIT_HOURS_FROM = 2;

// A deadline's limit in its largest whole unit: "15 days", "48 h", "6 h", "60 min", "1 min", "30 s".
export function formatLimit(seconds) {
  const s = Math.round(seconds);
  const units = current === "zh"
    ? { d: "天", h: "小时", m: "分钟", s: "秒" }
    : { d: "days", h: "h", m: "min", s: "s" };
  if (s % DAY_S === 0 && s >= LIMIT_DAYS_FROM * DAY_S) return `${s / DAY_S} ${units.d}`;
  if (s % HOUR_S === 0 && s >= LIMIT_HOURS_FROM * HOUR_S) return `${s / HOUR_S} ${units.h}`;
  if (s % MINUTE_S === 0 && s > 0) return `${s / MINUTE_S} ${units.m}`;
  return `${s} ${units.s}`;
}

// A deadline's name with its limit (the API's target_s, scaled on a demo's clock):
// "首次响应（60 分钟）", "First response (60 min)"; just the name without a limit.
export function deadlineLabel(kind, targetS) {
  const name = t(`kind_${kind}`);
  if (targetS === null || targetS === undefined) return name;
  const limit = formatLimit(targetS);
  return current === "zh" ? `${name}（${limit}）` : `${name} (${limit})`;
}

export function formatPercent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}

"""Webhook targets and the bodies they are sent: generic JSON, WeCom and DingTalk group robots
(text or markdown) and Slack-compatible incoming webhooks.

A target serves one audience (the same filter as the live feed, :class:`alerts.AlertViewer`) from
a least severity, for chosen events (by default a new alert and an escalation: repeats, acks and
resolutions would only be noise in a chat group). Robot URLs embed their access key, so a target
names the environment variable that holds its URL (``url_env``) rather than the URL itself.
Robot messages are worded in English or Chinese (one table per language, :data:`WEBHOOK_LANGUAGES`);
the ``json`` body is for machines and stays the same in every language.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from urllib.parse import quote_plus

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alerts.alert import AlertEventType
from alerts.rule_base import SLUG, Audience, Severity, StrictModel, as_tuple, reject_duplicates

__all__ = [
    "WEBHOOK_FORMATS",
    "WEBHOOK_LANGUAGES",
    "Webhook",
    "WebhookFormat",
    "WebhookLanguage",
    "backoff_delays",
    "dingtalk_signed_url",
    "render_webhook",
    "robot_accepted",
]

WebhookFormat = Literal["json", "wecom_text", "wecom_markdown", "dingtalk_text", "dingtalk_markdown", "slack"]
WEBHOOK_FORMATS: tuple[str, ...] = get_args(WebhookFormat)

WebhookLanguage = Literal["en", "zh"]
WEBHOOK_LANGUAGES: tuple[str, ...] = get_args(WebhookLanguage)

# WeCom markdown colours: info (green), comment (grey), warning (orange).
_WECOM_COLOURS = {"info": "info", "warning": "warning", "critical": "warning"}


@dataclass(frozen=True)
class _Wording:
    """Every fixed text of a robot message in one language (``{...}`` are filled in)."""

    severities: Mapping[str, str]
    events: Mapping[str, str]  # the new alert ("fired") has no word of its own
    headline: str  # severity, title
    event_headline: str  # severity, event, title
    occurrences: str
    acked_by: str
    fired: str  # when, alert_id


_WORDING: dict[WebhookLanguage, _Wording] = {
    "en": _Wording(
        severities={"info": "INFO", "warning": "WARNING", "critical": "CRITICAL"},
        events={
            "updated": "REPEATED",
            "acknowledged": "ACKNOWLEDGED",
            "resolved": "RESOLVED",
            "escalated": "ESCALATED (nobody acknowledged)",
        },
        headline="[{severity}] {title}",
        event_headline="[{severity}] {event} {title}",
        occurrences="Occurrences: {n}",
        acked_by="Acknowledged by {who}",
        fired="Fired {when} · alert {alert_id}",
    ),
    "zh": _Wording(
        severities={"info": "信息", "warning": "警告", "critical": "严重"},
        events={
            "updated": "重复",
            "acknowledged": "已确认",
            "resolved": "已解决",
            "escalated": "已升级（无人确认）",
        },
        headline="【{severity}】{title}",
        event_headline="【{severity}】{event}：{title}",
        occurrences="累计发生 {n} 次",
        acked_by="确认人：{who}",
        fired="触发时间：{when} · 告警编号：{alert_id}",
    ),
}


class Webhook(StrictModel):
    """Where to push one audience's alerts, and in which format.

    Examples
    --------
    >>> hook = Webhook(id="oncall-wecom", audience="oncall", format="wecom_markdown",
    ...                url_env="HOTLINE_WEBHOOK_ONCALL")
    >>> hook.events, hook.min_severity, hook.max_attempts
    (('fired', 'escalated'), 'info', 5)
    >>> hook.resolve_url({"HOTLINE_WEBHOOK_ONCALL": "https://qyapi.weixin.qq.com/x?key=k"})
    'https://qyapi.weixin.qq.com/x?key=k'
    """

    id: str = Field(pattern=SLUG, max_length=64)
    audience: Audience
    format: WebhookFormat = "json"
    url: str | None = Field(None, pattern=r"^https?://", max_length=2000, description="The URL itself.")
    url_env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable holding the URL (keeps keys out).",
    )
    secret_env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="DingTalk: variable holding the robot's signing secret.",
    )
    min_severity: Severity = "info"
    language: WebhookLanguage | None = Field(
        None, description="Language of the message texts (default: HOTLINE_WEBHOOK_LANGUAGE)."
    )
    events: tuple[AlertEventType, ...] = Field(("fired", "escalated"), min_length=1)
    enabled: bool = True
    max_attempts: int = Field(5, ge=1, le=20, description="Tries per alert before giving up on it.")
    timeout_s: float = Field(5.0, gt=0, le=60)

    _event_list = field_validator("events", mode="before")(as_tuple)

    @field_validator("events")
    @classmethod
    def _unique_events(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return reject_duplicates(values)

    @model_validator(mode="after")
    def _one_url(self) -> Webhook:
        if (self.url is None) == (self.url_env is None):
            raise PydanticCustomError("webhook_url", "give exactly one of 'url' or 'url_env'")
        return self

    def resolve_url(self, environ: Mapping[str, str]) -> str | None:
        """The URL to post to (None when its variable is unset)."""
        return self.url if self.url is not None else environ.get(self.url_env or "") or None


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or 0.0, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _headline(words: _Wording, event: str, alert: Mapping[str, Any]) -> str:
    severity = str(alert.get("severity"))
    label = words.severities.get(severity, severity.upper())
    title = alert.get("title", "")
    if event == "fired":
        return words.headline.format(severity=label, title=title)
    word = words.events.get(event, event.upper())
    return words.event_headline.format(severity=label, event=word, title=title)


def _lines(words: _Wording, alert: Mapping[str, Any]) -> list[str]:
    lines = [str(alert.get("reason", ""))]
    if alert.get("occurrences", 1) > 1:
        lines.append(words.occurrences.format(n=alert["occurrences"]))
    if alert.get("acked_by"):
        lines.append(words.acked_by.format(who=alert["acked_by"]))
    lines.append(words.fired.format(when=_when(alert.get("fired_at")), alert_id=alert.get("alert_id", "")))
    return lines


def render_webhook(
    fmt: str, event: str, alert: Mapping[str, Any], stream_id: str, language: WebhookLanguage = "en"
) -> dict[str, Any]:
    """The JSON body to post for one alert event in format ``fmt``, robot texts in ``language``.

    Examples
    --------
    >>> alert = {"alert_id": "a1", "severity": "critical", "title": "Card surge", "reason": "42 in 5 min",
    ...          "fired_at": 0.0, "occurrences": 1}
    >>> render_webhook("wecom_text", "fired", alert, "1-0")["text"]["content"].splitlines()[0]
    '[CRITICAL] Card surge'
    >>> render_webhook("dingtalk_markdown", "escalated", alert, "1-0")["markdown"]["title"]
    '[CRITICAL] ESCALATED (nobody acknowledged) Card surge'
    >>> render_webhook("dingtalk_markdown", "escalated", alert, "1-0", "zh")["markdown"]["title"]
    '【严重】已升级（无人确认）：Card surge'
    >>> sorted(render_webhook("json", "fired", alert, "1-0", "zh"))
    ['alert', 'event', 'stream_id']
    >>> render_webhook("slack", "fired", alert, "1-0")["text"].startswith("[CRITICAL] Card surge")
    True
    """
    if fmt == "json":
        return {"event": event, "stream_id": stream_id, "alert": dict(alert)}
    words = _WORDING[language]
    headline = _headline(words, event, alert)
    lines = _lines(words, alert)
    text = "\n".join([headline, *lines])
    if fmt in ("wecom_text", "dingtalk_text"):
        return {"msgtype": "text", "text": {"content": text}}
    if fmt == "wecom_markdown":
        colour = _WECOM_COLOURS.get(str(alert.get("severity")), "comment")
        body = "\n".join([f'### <font color="{colour}">{headline}</font>', *[f"> {line}" for line in lines]])
        return {"msgtype": "markdown", "markdown": {"content": body}}
    if fmt == "dingtalk_markdown":
        body = "\n\n".join([f"### {headline}", *[f"> {line}" for line in lines]])
        return {"msgtype": "markdown", "markdown": {"title": headline, "text": body}}
    if fmt == "slack":
        body = "\n".join([f"*{headline}*", *lines])
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]}
    raise ValueError(f"unknown webhook format {fmt!r}")


def robot_accepted(fmt: str, status_code: int, body: bytes) -> bool:
    """Whether the receiver took the message: a 2xx, and for WeCom/DingTalk robots ``errcode`` 0
    (they answer 200 with an error code when they refuse, e.g. a bad key or a rate limit)."""
    if not 200 <= status_code < 300:
        return False
    if fmt.startswith(("wecom", "dingtalk")):
        try:
            return int(json.loads(body or b"{}").get("errcode", 0)) == 0
        except (ValueError, AttributeError):
            return False
    return True


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """A DingTalk robot URL with its ``timestamp`` and ``sign`` (HMAC-SHA256 of ``ts\\nsecret``).

    Examples
    --------
    >>> dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC1",
    ...                     1700000000000)  # doctest: +ELLIPSIS
    'https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign=...'
    """
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def backoff_delays(attempts: int, *, base_s: float, cap_s: float) -> list[float]:
    """Waits between ``attempts`` tries: doubling from ``base_s``, at most ``cap_s``.

    Examples
    --------
    >>> backoff_delays(5, base_s=1.0, cap_s=5.0)
    [1.0, 2.0, 4.0, 5.0]
    """
    return [min(cap_s, base_s * 2**n) for n in range(max(0, attempts - 1))]

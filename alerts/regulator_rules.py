"""Regulator-forwarded complaints and calls: each one is an alert for the regulator desk, at once.

Complaints the regulator forwards (in China through the 12378 hotline) carry hard deadlines and are
tracked one by one, so the rule fires per complaint (or per call), not per count. The alert names
the complaint and the regulator's reference, never the complaint text or the customer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from alerts.alert import Alert, alert_header
from alerts.rule_base import Audience, RuleBase, RuleFilters, as_tuple, reject_duplicates

__all__ = ["RegulatorRule", "build_regulator_alert"]

Source = Literal["complaints", "calls"]


class RegulatorRule(RuleBase):
    """Fire once for every regulator-forwarded complaint (and call, when ``calls`` is a source).

    Examples
    --------
    >>> rule = RegulatorRule(id="reg", kind="regulator_forwarded", title="Forwarded", severity="warning")
    >>> rule.audiences, rule.sources
    (('regulator_desk',), ('complaints', 'calls'))
    """

    kind: Literal["regulator_forwarded"]
    audiences: tuple[Audience, ...] = Field(("regulator_desk",), min_length=1)
    sources: tuple[Source, ...] = Field(("complaints", "calls"), min_length=1)
    filters: RuleFilters | None = Field(None, description="Only forwarded complaints that also meet these.")

    _source_list = field_validator("sources", mode="before")(as_tuple)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return reject_duplicates(values)

    def matches(self, *, channel: str | None, branch: str | None, line: str | None) -> bool:
        """Whether a forwarded complaint with these attributes fires this rule."""
        f = self.filters
        if f is None:
            return True
        return (
            (f.channel is None or channel in f.channel)
            and (f.branch is None or branch in f.branch)
            and (f.line is None or line in f.line)
        )


def build_regulator_alert(
    rule: RegulatorRule,
    *,
    complaint_id: str,
    received_at: float,
    fired_at: float,
    channel: str | None = None,
    branch: str | None = None,
    regulator_ref: str | None = None,
    call_id: str | None = None,
) -> Alert:
    """The alert for one forwarded complaint (or call: ``call_id`` given, ``complaint_id`` the id the
    call's complaint will have).

    Examples
    --------
    >>> rule = RegulatorRule(id="reg", kind="regulator_forwarded", title="Forwarded", severity="warning")
    >>> a = build_regulator_alert(rule, complaint_id="c-9", received_at=100.4, fired_at=100.9, channel="web",
    ...                           branch="sh-01", regulator_ref="12378-0001")
    >>> a.reason
    'Complaint c-9 forwarded by the regulator (ref 12378-0001), via web at branch sh-01'
    >>> a.regulator, a.complaint_id, a.window_start, a.audiences
    (True, 'c-9', 100, ('regulator_desk',))
    """
    subject = f"call {call_id}" if call_id else f"complaint {complaint_id}"
    reason = f"{subject[0].upper()}{subject[1:]} forwarded by the regulator"
    if regulator_ref:
        reason += f" (ref {regulator_ref})"
    where = [f"via {channel}"] if channel else []
    if branch:
        where.append(f"at branch {branch}")
    if where:
        reason += ", " + " ".join(where)
    group: dict[str, str | None] = {}
    if channel:
        group["channel"] = channel
    if branch:
        group["branch"] = branch
    # Keyed by the complaint (a call's complaint id is fixed per call), so the complaint a forwarded
    # call becomes when it ends is the same alert as the one its first words raised.
    header = alert_header(
        rule, group=f"complaint={complaint_id}", occurrence=0, fired_at=fired_at, merge_repeats=False
    )
    return Alert(
        **header,
        reason=reason,
        group=group,
        window_start=int(received_at),
        window_end=int(received_at) + 1,
        count=1,
        complaint_id=complaint_id,
        call_id=call_id,
        regulator=True,
    )

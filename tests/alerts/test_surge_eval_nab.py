"""The surge rule's detector on the real NAB tweet-volume series (5-minute counts, labelled windows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.surge_eval import load_series, load_windows, run_surge_eval
from tests.conftest import hotline_cli
from tests.datasets import NAB

SERIES = sorted(NAB.glob("*.csv"))

pytestmark = pytest.mark.skipif(not SERIES, reason="NAB tweet series not available")


@pytest.mark.parametrize("series", SERIES, ids=lambda p: p.stem)
def test_every_labelled_window_is_hit_within_the_false_alarm_target(series: Path) -> None:
    result = run_surge_eval(series, NAB / "windows.json")
    assert result["windows_hit"] == result["windows_total"] > 0, result
    assert result["false_alarms_per_day"] <= 0.5, result
    assert result["days"] > 50 and result["bucket_seconds"] == 300


def test_cli_prints_one_json_line() -> None:
    out = hotline_cli(
        "models",
        "surge-eval",
        "--series",
        str(SERIES[0]),
        "--windows",
        str(NAB / "windows.json"),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"windows_hit", "windows_total", "false_alarms_per_day", "median_delay_s"} <= set(result)


def test_windows_as_a_plain_list_and_gaps_filled(tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    rows = ["00:00:00,3", "00:05:00,4", "00:10:00,2", "00:20:00,5"]
    csv.write_text("timestamp,value\n" + "".join(f"2024-01-01 {row}\n" for row in rows))
    timestamps, counts, step = load_series(csv)
    assert step == 300 and counts == [3.0, 4.0, 2.0, 0.0, 5.0]
    assert timestamps[3] - timestamps[0] == 900
    windows = tmp_path / "w.json"
    windows.write_text(json.dumps([["2024-01-01 00:00:00", "2024-01-01 01:00:00"]]))
    assert load_windows(windows, csv) == [(timestamps[0], timestamps[0] + 3600)]
    windows.write_text(json.dumps({"other.csv": []}))
    with pytest.raises(ValueError, match="no windows"):
        load_windows(windows, csv)

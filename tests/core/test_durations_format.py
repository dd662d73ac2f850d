"""format_duration renders like Go's time.Duration.String, to the nanosecond."""

from __future__ import annotations

import pytest

from core.formats.durations import format_duration


@pytest.mark.parametrize("seconds, go", [
    (0, "0s"), (45, "45s"), (60, "1m0s"), (300, "5m0s"), (5400, "1h30m0s"), (86400, "24h0m0s"),
    (123.456789012, "2m3.456789012s"), (1.5, "1.5s"), (0.5, "500ms"), (0.0015, "1.5ms"),
    (1.5e-6, "1.5µs"), (2.5e-7, "250ns"), (-61, "-1m1s"),
])
def test_go_duration_string(seconds: float, go: str) -> None:
    assert format_duration(seconds) == go

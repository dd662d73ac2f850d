"""The test supervisor speaks Gas City's API: every body it serves, and every frame of its event
stream, validates against Gas City's OpenAPI schema (tests/fixtures/gascity/api/openapi.json).
A fixture the real supervisor could not send would make the API attach tests prove nothing."""

from __future__ import annotations

import json

import httpx
import pytest
from supervisorkit import (
    Supervisor,
    fixture_city,
    response_schema,
    stream_frame_schema,
    validator_for,
)

ROUTES = [
    ("/health", "/health", {}),
    ("/v0/cities", "/v0/cities", {}),
    ("/v0/city/{cityName}", "/v0/city/fixture", {}),
    ("/v0/city/{cityName}/status", "/v0/city/fixture/status", {}),
    ("/v0/city/{cityName}/config", "/v0/city/fixture/config", {}),
    ("/v0/city/{cityName}/sessions", "/v0/city/fixture/sessions", {}),
    ("/v0/city/{cityName}/sessions", "/v0/city/fixture/sessions", {"limit": "2"}),
    ("/v0/city/{cityName}/beads", "/v0/city/fixture/beads", {}),
    ("/v0/city/{cityName}/beads", "/v0/city/fixture/beads", {"type": "session", "all": "true"}),
    ("/v0/city/{cityName}/events", "/v0/city/fixture/events", {"limit": "3"}),
]


@pytest.fixture
def supervisor(tmp_path):
    partial = fixture_city()
    partial.name, partial.path = "partial", "/srv/cities/partial"
    partial.partial = {"sessions": ["rig beta: store unavailable"], "beads": ["rig beta: timeout"],
                       "status": ["mail: unavailable"]}
    partial.cache_age = 42.5
    stopped = fixture_city("stopped")
    stopped.running, stopped.error, stopped.status_text = False, "city.toml: bad", "init_failed"
    with Supervisor([fixture_city(), partial, stopped], tmp_path) as sup:
        yield sup


@pytest.mark.parametrize("template, path, query", ROUTES)
def test_every_reply_validates_against_the_openapi_schema(supervisor, template, path, query) -> None:
    for city in ("fixture", "partial"):
        r = httpx.get(supervisor.url + path.replace("fixture", city), params=query)
        assert r.status_code == 200, r.text
        validator_for(response_schema(template)).validate(r.json())


def test_the_validator_rejects_what_the_schema_forbids() -> None:
    """The schema check can fail: an unknown field, a missing required one, a wrong type."""
    from jsonschema import ValidationError

    v = validator_for(response_schema("/v0/city/{cityName}/sessions"))
    good = {"items": [], "total": 0}
    v.validate(good)
    for bad in ({"items": [], "total": 0, "extra": 1}, {"total": 0},
                {"items": [{"id": "gc-1"}], "total": 1}, {"items": [], "total": "0"}):
        with pytest.raises(ValidationError):
            v.validate(bad)


def test_every_stream_frame_validates(supervisor) -> None:
    supervisor.add_event("fixture", "session.crashed", subject="worker-gc-1", session_id="gc-1",
                         payload={"session_id": "gc-1", "reason": "exit 1"})
    with httpx.stream("GET", supervisor.url + "/v0/city/fixture/events/stream", params={"after_seq": "100"}) as r:
        lines = r.iter_lines()
        frames = 0
        while frames < 12:
            line = next(lines)
            if line.startswith("data: "):
                frames += 1
    names = {n for n, _ in supervisor.frames}
    assert names == {"event", "heartbeat"}
    for name, data in supervisor.frames:
        validator_for(stream_frame_schema(name)).validate(json.loads(data))

"""The read-only guarantee of the API attach: one module (core/attach/api/guard.py) decides what
may be sent to a supervisor, and nothing but a body-less GET of an allowed read endpoint on the
operator's supervisor ever leaves citywatch."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from supervisorkit import allowed, openapi

from core.attach.api.guard import ENDPOINTS, Origin, RefusedRequest, check_request, open_client

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = Origin.parse("http://127.0.0.1:8372")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PURGE"]


def request(method: str, url: str, **kw) -> httpx.Request:
    return httpx.Request(method, url, **kw)


def test_every_allowed_endpoint_passes_and_every_other_method_is_refused() -> None:
    for e in ENDPOINTS:
        url = ORIGIN.url(e.name, "alpha")
        assert check_request(request("GET", url), ORIGIN) is e
        for method in METHODS[1:]:
            with pytest.raises(RefusedRequest):
                check_request(request(method, url), ORIGIN)


def test_every_other_path_of_the_supervisor_api_is_refused() -> None:
    """Every GET path of Gas City's OpenAPI document that is not on the allow-list (session
    transcripts, agent output streams, mail, the multiplexed /v0/events, ...) is refused."""
    names = {e.path for e in ENDPOINTS}
    refused = 0
    for template in openapi()["paths"]:
        path = template.replace("{cityName}", "alpha")
        path = re.sub(r"\{[^}]+\}", "x", path)
        ours = template.replace("{cityName}", "{city}")
        if ours in names:
            continue
        with pytest.raises(RefusedRequest):
            check_request(request("GET", "http://127.0.0.1:8372" + path), ORIGIN)
        refused += 1
    assert refused > 100  # the API has far more than citywatch reads


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:9999/health", "another port"),
    ("https://127.0.0.1:8372/health", "another scheme"),
    ("http://evil.example:8372/health", "another host"),
    ("http://127.0.0.1:8372/v0/city/alpha/sessions?peek=true", "a query key it does not send"),
    ("http://127.0.0.1:8372/v0/city/alpha/events?index=5&wait=2m", "blocking queries"),
    ("http://127.0.0.1:8372/v0/city/alpha/beads?limit=1&limit=2", "a repeated key"),
    ("http://127.0.0.1:8372/v0/city/%2E%2E/sessions", "a dot-dot city"),
    ("http://127.0.0.1:8372/v0/city/a%2Fb/sessions", "a slash inside the city name"),
    ("http://127.0.0.1:8372/v0/city/a%0Ab/sessions", "a control character in the city name"),
    ("http://127.0.0.1:8372/v0/city/alpha/session/gc-1/kill", "an action"),
    ("http://127.0.0.1:8372/v0/events/stream", "the multiplexed stream"),
])
def test_refused(url: str, why: str) -> None:
    with pytest.raises(RefusedRequest):
        check_request(request("GET", url), ORIGIN)


def test_a_get_with_a_body_is_refused() -> None:
    with pytest.raises(RefusedRequest):
        check_request(request("GET", ORIGIN.url("health"), content=b"{}"), ORIGIN)


def test_a_path_prefix_in_the_url_is_kept_and_required() -> None:
    edge = Origin.parse("https://edge.example/gc/")
    assert edge.url("cities") == "https://edge.example:443/gc/v0/cities"
    assert check_request(request("GET", edge.url("cities")), edge).name == "cities"
    with pytest.raises(RefusedRequest):
        check_request(request("GET", "https://edge.example/v0/cities"), edge)


@pytest.mark.parametrize("url", ["ftp://host/", "http://", "http://user:secret@host:1/", "http://h/?q=1",
                                 "http://h/#f", "127.0.0.1:8372"])
def test_a_url_that_is_not_a_supervisor_url_is_bad_input(url: str) -> None:
    with pytest.raises(ValueError):
        Origin.parse(url)


def test_the_client_refuses_before_anything_is_sent() -> None:
    """Through the one client citywatch builds: a refused request never reaches the network."""
    sent: list[httpx.Request] = []

    async def run() -> None:
        client = open_client(ORIGIN, token="t0ken", verify=True, timeout=5)
        client._transport.inner = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with pytest.raises(RefusedRequest):
                await client.request(method, ORIGIN.url("sessions", "alpha"), json={"x": 1})
        with pytest.raises(RefusedRequest):
            await client.get("http://127.0.0.1:8372/v0/city/alpha/session/gc-1/transcript")
        await client.get(ORIGIN.url("sessions", "alpha"))
        await client.aclose()

    asyncio.run(run())
    assert [(r.method, r.url.path) for r in sent] == [("GET", "/v0/city/alpha/sessions")]
    assert sent[0].headers["Authorization"] == "Bearer t0ken"
    assert sent[0].headers["X-GC-Request"] == "true"


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(METHODS),
       path=st.one_of(st.sampled_from(sorted(openapi()["paths"])), st.text(min_size=0, max_size=40)),
       city=st.sampled_from(["alpha", "..", "a/b", "x y", "%2F", ""]),
       query=st.lists(st.tuples(st.sampled_from(["limit", "cursor", "peek", "after_seq", "type", "all", "wait"]),
                                st.sampled_from(["1", "true", ""])), max_size=3))
def test_whatever_is_asked_only_allowed_gets_reach_the_transport(method, path, city, query) -> None:
    """Any method, any path of the API (or any text), any city, any query: what reaches the
    transport is always an allowed GET."""
    sent: list[httpx.Request] = []
    path = "/" + path.lstrip("/").replace("{cityName}", city)

    async def run() -> None:
        client = open_client(ORIGIN, token=None, verify=True, timeout=5)
        client._transport.inner = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
        try:
            await client.request(method, httpx.URL("http://127.0.0.1:8372").join(path), params=query)
        except (RefusedRequest, httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError):
            pass
        finally:
            await client.aclose()

    asyncio.run(run())
    for r in sent:
        raw = r.url.raw_path.decode()
        p, _, q = raw.partition("?")
        assert allowed(r.method, p, [tuple(x.split("=", 1)) if "=" in x else (x, "") for x in q.split("&") if x]), raw


def test_only_the_guard_module_builds_http_clients() -> None:
    """One module enforces the allow-list: no other module of citywatch creates an httpx client
    or sends a request with httpx directly."""
    pattern = re.compile(r"httpx\.(Async)?Client\(|httpx\.(get|post|put|patch|delete|request|stream)\(|"
                         r"(Async)?HTTPTransport\(|^\s*(import|from) (urllib\.request|http\.client|requests|aiohttp|socket)\b",
                         re.MULTILINE)
    offenders = []
    for base in ("core", "tui"):
        for f in (ROOT / base).rglob("*.py"):
            if f.name == "guard.py" and f.parent.name == "api":
                continue
            if pattern.search(f.read_text()):
                offenders.append(str(f.relative_to(ROOT)))
    assert offenders == []

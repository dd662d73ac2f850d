"""The only way citywatch talks to a Gas City supervisor: GET requests to an allow-list of read
endpoints, on the one origin the operator named, and nothing else.

Every request any part of citywatch makes to a supervisor goes through `GuardedTransport`, the
transport of the one client `open_client` builds. Before a byte is sent, `check_request` refuses
(with `RefusedRequest`) anything that is not:

- the method GET, with no body;
- on the scheme, host and port of the supervisor URL the operator gave (redirects are never
  followed, so a supervisor cannot send citywatch elsewhere);
- one of the `ENDPOINTS` paths below, under the URL's own path prefix (a supervisor behind an
  edge at `https://edge/gc/`), with a city name that is one plain path segment;
- carrying only the query keys that endpoint allows here.

Every response body is capped as it arrives (`BodyBudget`): a REST reply at `MAX_BODY_BYTES`, the
event stream at `MAX_FRAME_BYTES` between two frames, so no supervisor can make citywatch read
without end. The bearer token is a header of the client, never part of a URL, a message or a log
line (httpx shows it masked in its own reprs).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

MiB = 1 << 20
MAX_BODY_BYTES = 64 * MiB  # one REST reply (a page of at most 1000 beads is a few MiB)
MAX_FRAME_BYTES = 4 * MiB  # what the event stream may send between two complete frames


@dataclass(frozen=True)
class Endpoint:
    """One read endpoint: its name, its path under the supervisor URL (`{city}` is one path
    segment) and the query keys citywatch may send to it."""

    name: str
    path: str
    query: frozenset[str] = frozenset()

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.path).replace(re.escape("{city}"), "(?P<city>[^/]+)") + "$")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("health", "/health"),
    Endpoint("cities", "/v0/cities"),
    Endpoint("city", "/v0/city/{city}"),
    Endpoint("city_health", "/v0/city/{city}/health"),
    Endpoint("status", "/v0/city/{city}/status", frozenset({"lite"})),
    Endpoint("sessions", "/v0/city/{city}/sessions", frozenset({"limit", "cursor", "state", "template"})),
    Endpoint("agents", "/v0/city/{city}/agents"),
    Endpoint("beads", "/v0/city/{city}/beads", frozenset({"limit", "cursor", "type", "status", "all"})),
    Endpoint("config", "/v0/city/{city}/config"),
    Endpoint("config_explain", "/v0/city/{city}/config/explain"),
    Endpoint("events", "/v0/city/{city}/events", frozenset({"limit", "cursor", "since", "type"})),
    Endpoint("events_stream", "/v0/city/{city}/events/stream", frozenset({"after_seq"})),
)
BY_NAME = {e.name: e for e in ENDPOINTS}
STREAM_ENDPOINTS = frozenset({"events_stream"})
_PATTERNS = [(e, e.pattern) for e in ENDPOINTS]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RefusedRequest(RuntimeError):
    """A request citywatch must never send to a supervisor (raised before it is sent)."""


class ResponseTooLarge(httpx.ReadError):
    """A supervisor sent more than citywatch reads in one reply (or between two stream frames)."""


@dataclass(frozen=True)
class Origin:
    """Where the supervisor is: scheme, host, port, and the path prefix its endpoints live under."""

    scheme: str
    host: str
    port: int
    prefix: str = ""  # "" or "/edge/path" (no trailing slash)

    @classmethod
    def parse(cls, url: str) -> Origin:
        """The origin of a supervisor URL (`http://127.0.0.1:8372`, `https://edge.example/gc/`).
        Raises ValueError for anything else: another scheme, no host, a query, a fragment or
        credentials in the URL (a token goes in the environment or a file, never in a URL)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as e:
            raise ValueError(f"{url!r} is not a URL ({e})") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"{url!r}: the supervisor URL must start with http:// or https://")
        if not parts.hostname:
            raise ValueError(f"{url!r}: the supervisor URL has no host")
        if parts.username or parts.password:
            raise ValueError("the supervisor URL must not hold credentials; give a token in CITYWATCH_API_TOKEN or "
                             "a --token-file")
        if parts.query or parts.fragment:
            raise ValueError(f"{url!r}: the supervisor URL must not have a query or a fragment")
        if _CONTROL.search(url):
            raise ValueError("the supervisor URL holds control characters")
        prefix = parts.path.rstrip("/")
        return cls(parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80), prefix)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.prefix}"

    def url(self, endpoint: str, city: str | None = None) -> str:
        """The URL of an allowed endpoint (a city name is percent-encoded into its one segment)."""
        e = BY_NAME[endpoint]
        path = e.path
        if "{city}" in path:
            if not city:
                raise RefusedRequest(f"{endpoint} needs a city name")
            path = path.replace("{city}", quote(city, safe=""))
        return self.base_url + path


def check_request(request: httpx.Request, origin: Origin) -> Endpoint:
    """Refuse (RefusedRequest) anything but a body-less GET of an allowed endpoint on `origin`
    with only that endpoint's query keys; return the endpoint it is."""
    if request.method != "GET":
        raise RefusedRequest(f"{request.method} is not sent to a supervisor: citywatch only reads (GET)")
    url = request.url
    if (url.scheme, (url.host or "").lower(), url.port or (443 if url.scheme == "https" else 80)) != (
            origin.scheme, origin.host, origin.port):
        raise RefusedRequest(f"{url.scheme}://{url.host}:{url.port}: not the supervisor citywatch was pointed at")
    if request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers:
        raise RefusedRequest("a request to a supervisor never carries a body")
    raw = url.raw_path.decode("ascii", "replace")
    path, _, query = raw.partition("?")
    if not path.startswith(origin.prefix + "/"):
        raise RefusedRequest(f"{path}: not under the supervisor URL's path {origin.prefix or '/'}")
    rest = path[len(origin.prefix):]
    for endpoint, pattern in _PATTERNS:
        m = pattern.match(rest)
        if m is None:
            continue
        if "city" in m.groupdict():
            city = unquote(m.group("city"))
            if city in (".", "..") or "/" in city or _CONTROL.search(city) or not city.strip():
                raise RefusedRequest(f"{m.group('city')!r} is not a city name")
        keys = [k for k, _ in parse_qsl(query, keep_blank_values=True)]
        bad = sorted(set(keys) - endpoint.query)
        if bad:
            raise RefusedRequest(f"{endpoint.path}: query {', '.join(bad)} is not sent")
        if len(keys) != len(set(keys)):
            raise RefusedRequest(f"{endpoint.path}: a query key is repeated")
        return endpoint
    raise RefusedRequest(f"{rest}: not a read endpoint citywatch uses")


class BodyBudget(httpx.AsyncByteStream):
    """A response body that ends with ResponseTooLarge past `limit` bytes. `renew()` starts a
    new allowance: the event stream renews it after every frame."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.used = 0

    def renew(self) -> None:
        self.used = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.used += len(chunk)
            if self.used > self.limit:
                raise ResponseTooLarge(f"the supervisor sent more than {self.limit // MiB} MiB "
                                       f"{'between two stream frames' if self.limit == MAX_FRAME_BYTES else 'in one reply'}")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


BUDGET = "citywatch.budget"  # the response extension holding the body's BodyBudget


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks every request with `check_request` before the inner
    transport may send it, and caps every response body."""

    def __init__(self, inner: httpx.AsyncBaseTransport, origin: Origin) -> None:
        self.inner = inner
        self.origin = origin

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = check_request(request, self.origin)
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        budget = BodyBudget(response.stream, MAX_FRAME_BYTES if endpoint.name in STREAM_ENDPOINTS else MAX_BODY_BYTES)
        response.stream = budget
        response.extensions = {**response.extensions, BUDGET: budget}
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def tls_verification(verify: bool, ca_file: str | None) -> ssl.SSLContext | bool:
    """What the transport verifies the supervisor's certificate with: the system roots (the
    default), a CA bundle file, or nothing (only with the explicit opt-out)."""
    if not verify:
        return False
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


def open_client(origin: Origin, *, token: str | None, verify: ssl.SSLContext | bool, timeout: float) -> httpx.AsyncClient:
    """The one client that talks to a supervisor: every request through `GuardedTransport`,
    redirects not followed, no proxy, netrc or certificate settings taken from the environment,
    and the bearer token (when there is one) in the Authorization header. Gas City's own client
    sends `X-GC-Request: true` on every request; so does this one."""
    headers = {"X-GC-Request": "true", "Accept": "application/json", "User-Agent": "citywatch"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    inner = httpx.AsyncHTTPTransport(verify=verify, trust_env=False, retries=0)
    return httpx.AsyncClient(transport=GuardedTransport(inner, origin), headers=headers, follow_redirects=False,
                             trust_env=False, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

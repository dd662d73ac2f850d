"""A read-only client of Gas City's supervisor HTTP API (or a standalone controller's `[api]`).

`SupervisorClient` runs an httpx client built by `core.attach.api.guard.open_client` (GETs of
the allowed read endpoints only) on an event loop of its own thread, so it can be used from any
thread: `call(coroutine)` waits for the result. `get` reads one endpoint; `list` follows a list
endpoint's `next_cursor` pages up to a cap; `stream` opens the city event stream.

Every reply carries how stale the supervisor says it is (the `X-GC-Cache-Age-S` header, or a
`_cache_age_s` field where an edge passes the CLI's shape through) and its event index
(`X-GC-Index`). Failures are `ApiError`s with one readable sentence: `ApiUnreachable` when
nothing answered, `ApiRefused` for 401/403 (a token or a read grant is missing), an
`ApiError` with the status otherwise. The token is never part of a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource

from core.attach.api.guard import (
    BUDGET,
    BodyBudget,
    Origin,
    RefusedRequest,
    ResponseTooLarge,
    open_client,
    tls_verification,
)
from core.guards.safeio import load_json

T = TypeVar("T")
TOKEN_ENV = "CITYWATCH_API_TOKEN"  # citywatch's own variable
GC_TOKEN_ENV = "GC_CITY_URL_TOKEN"  # the variable gc itself reads for an ad-hoc city URL
MAX_TOKEN_BYTES = 16 << 10


class ApiError(Exception):
    """A supervisor request that did not give a usable reply (one sentence, no secret in it)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ApiUnreachable(ApiError):
    """Nothing usable answered: no connection, a timeout, a TLS failure, a dropped reply."""


class ApiRefused(ApiError):
    """The supervisor (or an edge in front of it) refused the read: 401 or 403."""


class TokenError(ValueError):
    """The token file or variable cannot be used (bad input)."""


def read_token(token_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token: the contents of `token_file` when given, else `CITYWATCH_API_TOKEN`,
    else `GC_CITY_URL_TOKEN`, else None. Surrounding whitespace is dropped; a token with any other
    control character or space in it, or an empty or huge file, is refused (TokenError), naming
    where it came from but never what it holds."""
    env = os.environ if environ is None else environ
    if token_file:
        try:
            with open(token_file, "rb") as f:
                raw = f.read(MAX_TOKEN_BYTES + 1)
        except OSError as e:
            raise TokenError(f"--token-file {token_file}: cannot be read ({e.strerror or e})") from None
        if len(raw) > MAX_TOKEN_BYTES:
            raise TokenError(f"--token-file {token_file}: larger than a token can be")
        where, text = f"--token-file {token_file}", raw.decode("utf-8", "replace")
    else:
        name = TOKEN_ENV if env.get(TOKEN_ENV) else (GC_TOKEN_ENV if env.get(GC_TOKEN_ENV) else "")
        if not name:
            return None
        where, text = name, env[name]
    token = text.strip()
    if not token:
        raise TokenError(f"{where}: the token is empty")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in token) or not token.isascii():
        raise TokenError(f"{where}: the token holds spaces, control characters or non-ASCII text")
    return token


@dataclass(frozen=True)
class ApiTarget:
    """Which supervisor to read and how: its URL, the bearer token (never shown), TLS
    verification (on unless `verify` is False; `ca_file` for a private CA) and timeouts."""

    url: str
    token: str | None = field(default=None, repr=False)
    verify: bool = True
    ca_file: str | None = None
    timeout: float = 10.0  # one REST reply
    stream_idle: float = 45.0  # the event stream sends a heartbeat every 15 s; silence this long is a drop

    @property
    def origin(self) -> Origin:
        return Origin.parse(self.url)


@dataclass
class Reply:
    """One endpoint's decoded body with what the supervisor said of its freshness."""

    endpoint: str
    body: Any
    cache_age_s: float | None = None
    index: int | None = None


@dataclass
class Listing:
    """A list endpoint read across its pages."""

    endpoint: str
    items: list[Any]
    total: int | None = None
    partial: bool = False
    partial_errors: list[str] = field(default_factory=list)
    cache_age_s: float | None = None
    index: int | None = None
    truncated: bool = False  # stopped at the page or item cap with more to read


class LoopThread:
    """An asyncio event loop on a daemon thread of its own."""

    def __init__(self, name: str = "citywatch-api") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `coro` on the loop; raises ApiError (and never leaves `coro` unawaited) once
        the loop was closed or has stopped, when its result would never come."""
        if self.loop.is_closed() or not self._thread.is_alive():
            coro.close()
            raise ApiError("the connection to the supervisor is closed")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result (its exception is raised here)."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        """Cancel what still runs, stop the loop and wait for its thread."""
        if not self.loop.is_running():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.call(cancel_all(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()


def _cache_age(response: httpx.Response, body: Any) -> float | None:
    raw: Any = response.headers.get("x-gc-cache-age-s")
    if raw is None and isinstance(body, dict):
        raw = body.get("_cache_age_s")
    try:
        age = float(raw) if raw is not None and not isinstance(raw, bool) else None
    except ValueError:
        return None
    return age if age is not None and 0 <= age < 1e9 else None


def _index(response: httpx.Response) -> int | None:
    try:
        return int(response.headers.get("x-gc-index", ""))
    except ValueError:
        return None


def problem_text(body: Any) -> tuple[str, str]:
    """(detail, code) of an RFC 9457 problem body, as Gas City sends errors."""
    if not isinstance(body, dict):
        return "", ""
    detail = body.get("detail") or body.get("title") or ""
    code = body.get("code") or ""
    return (detail if isinstance(detail, str) else ""), (code if isinstance(code, str) else "")


def _connect_failure(origin: Origin, e: Exception) -> ApiUnreachable:
    text = str(e) or type(e).__name__
    if isinstance(e, httpx.TimeoutException):
        return ApiUnreachable(f"{origin.base_url} did not answer in time ({type(e).__name__})")
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        return ApiUnreachable(f"{origin.base_url}: its TLS certificate could not be verified ({text[:200]}); for a "
                              "private CA pass --ca-file, for a self-signed development server "
                              "--insecure-skip-verify")
    if isinstance(e, httpx.ConnectError):
        return ApiUnreachable(f"cannot connect to {origin.base_url} ({text[:200]})")
    return ApiUnreachable(f"{origin.base_url}: the connection failed ({type(e).__name__}: {text[:200]})")


def check_status(origin: Origin, endpoint: str, response: httpx.Response, body: Any) -> None:
    """Raise the ApiError a non-2xx reply means."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail, code = problem_text(body)
    where = f"{origin.base_url}: {endpoint}"
    if 300 <= status < 400:
        raise ApiError(f"{where}: the supervisor redirected ({status}) and citywatch follows no redirect; give the "
                       "URL it serves the API on", status=status)
    if status in (401, 403):
        raise ApiRefused(f"{where}: refused ({status}{': ' + detail if detail else ''}); the supervisor or an edge "
                         f"in front of it wants a bearer token ({TOKEN_ENV} or --token-file) or, with "
                         "read_auth_required, a read grant from your edge", status=status, code=code)
    raise ApiError(f"{where}: {status} {detail or response.reason_phrase}".rstrip(), status=status, code=code)


class SupervisorClient:
    """The read-only API client (see the module docstring). Close it when done."""

    def __init__(self, target: ApiTarget, *, loop: LoopThread | None = None) -> None:
        self.target = target
        self.origin = target.origin
        self.loop = loop or LoopThread()
        self._own_loop = loop is None
        verify = tls_verification(target.verify, target.ca_file)
        self._http: httpx.AsyncClient = self.loop.call(self._open(verify))

    async def _open(self, verify) -> httpx.AsyncClient:
        return open_client(self.origin, token=self.target.token, verify=verify, timeout=self.target.timeout)

    def call(self, coro: Awaitable[T]) -> T:
        """Wait for `coro` (a method of this client) on the client's loop."""
        return self.loop.call(coro)  # type: ignore[arg-type]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.call(self._http.aclose(), timeout=5)
        if self._own_loop:
            self.loop.close()

    async def get(self, endpoint: str, city: str | None = None, params: dict[str, Any] | None = None) -> Reply:
        """One endpoint's reply, decoded (a JSON object or array)."""
        url = self.origin.url(endpoint, city)
        try:
            response = await self._http.get(url, params=params)
        except RefusedRequest:
            raise
        except ResponseTooLarge as e:
            raise ApiError(f"{self.origin.base_url}: {endpoint}: {e}") from None
        except httpx.HTTPError as e:
            raise _connect_failure(self.origin, e) from None
        try:
            body = load_json(response.content) if response.content else None
        except (ValueError, UnicodeDecodeError) as e:
            if not 200 <= response.status_code < 300:
                body = None
            else:
                raise ApiError(f"{self.origin.base_url}: {endpoint}: the reply is not JSON ({e})") from None
        check_status(self.origin, endpoint, response, body)
        return Reply(endpoint, body, _cache_age(response, body), _index(response))

    async def list(self, endpoint: str, city: str, params: dict[str, Any] | None = None, *, page: int = 1000,
                   max_pages: int = 20) -> Listing:
        """Every item of a list endpoint, following `next_cursor`, at most `max_pages` pages of
        `page` items (then `truncated`). The oldest cache age and any partial errors of the pages
        are kept."""
        out = Listing(endpoint, [])
        cursor = ""
        for _n in range(max_pages):
            q = {**(params or {}), "limit": page}
            if cursor:
                q["cursor"] = cursor
            reply = await self.get(endpoint, city, q)
            body = reply.body if isinstance(reply.body, dict) else {}
            if not isinstance(reply.body, dict):
                raise ApiError(f"{self.origin.base_url}: {endpoint}: the reply is not a list object")
            items = body.get("items")
            out.items += items if isinstance(items, list) else []
            if isinstance(body.get("total"), int) and not isinstance(body.get("total"), bool):
                out.total = body["total"]
            if body.get("partial") is True:
                out.partial = True
            errs = body.get("partial_errors")
            if isinstance(errs, list):
                out.partial_errors += [e for e in errs if isinstance(e, str) and e not in out.partial_errors]
            if reply.cache_age_s is not None:
                out.cache_age_s = max(out.cache_age_s or 0.0, reply.cache_age_s)
            out.index = reply.index if out.index is None else out.index
            nxt = body.get("next_cursor")
            cursor = nxt if isinstance(nxt, str) else ""
            if not cursor:
                return out
        out.truncated = True
        return out

    @contextlib.asynccontextmanager
    async def stream(self, city: str, after_seq: int | None) -> AsyncIterator[tuple[EventSource, BodyBudget]]:
        """The city's event stream from after `after_seq` (None: from the supervisor's current
        head), resumed the way Gas City's own clients do it: `after_seq` in the query and the
        same number as `Last-Event-ID`. Yields the event source and the frame budget to renew
        after each frame. Raises ApiError subclasses as `get` does."""
        url = self.origin.url("events_stream", city)
        params = {"after_seq": str(after_seq)} if after_seq is not None else None
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if after_seq is not None:
            headers["Last-Event-ID"] = str(after_seq)
        timeout = httpx.Timeout(self.target.timeout, read=self.target.stream_idle)
        try:
            async with self._http.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
                if not 200 <= response.status_code < 300:
                    raw = await response.aread()
                    try:
                        body = load_json(raw) if raw else None
                    except (ValueError, UnicodeDecodeError):
                        body = None
                    check_status(self.origin, "events_stream", response, body)
                budget = response.extensions[BUDGET]
                yield EventSource(response), budget
        except RefusedRequest:
            raise
        except ResponseTooLarge as e:
            raise ApiError(f"{self.origin.base_url}: events_stream: {e}") from None
        except httpx.HTTPError as e:
            raise _connect_failure(self.origin, e) from None

"""A Gas City supervisor for the API attach tests: a real HTTP server on the loopback interface,
serving the read endpoints in the shapes of Gas City's OpenAPI schema (every body it serves is
validated against that schema by the tests) and an event stream that the test drives: it drops,
resumes from `after_seq` / `Last-Event-ID`, sends heartbeats, and sends malformed frames when
asked.

The city it serves is the attach tests' fixture city (`citykit`): the same session and work
beads, events and city.toml that a file attach reads, in the API's shapes. `/config` and
`/status` are derived from the city.toml the way Gas City derives them (`is_pool`, the
`scaled (min=N, max=M)` label of a pool group, named sessions with their modes). Every request,
whatever its method, is recorded in `requests`; anything but GET is answered 405.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from citykit import CITY_TOML, NOW, session_beads, session_events, work_beads
from gascity_fixtures import OPENAPI

from core.attach.beads_source import coerce_metadata
from core.config.load import load_city

HEARTBEAT = 0.05  # seconds between heartbeats (Gas City: 15 s)


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def api_bead(raw: dict[str, Any]) -> dict[str, Any]:
    """A bead as the API's Bead schema has it (metadata values are strings)."""
    out = {k: raw[k] for k in ("id", "title", "status", "issue_type", "created_at", "labels", "assignee", "priority",
                               "dependencies", "defer_until", "ephemeral") if raw.get(k) not in (None, "")}
    out["metadata"] = {k: v for k, v in coerce_metadata(raw.get("metadata")).items()}
    return out


def _expands(agent) -> bool:
    """Gas City's SupportsInstanceExpansion."""
    if agent.has_namepool:
        return True
    m = agent.max_active_sessions
    if m is None or m < 0 or m > 1:
        return True
    return m == 1 and (agent.min_active_sessions is not None or agent.has_scale_check)


def _is_pool(agent) -> bool:
    """Gas City's SupportsExpandedSessionIdentities (the API's `is_pool`)."""
    m = agent.max_active_sessions
    if m == 0:
        return False
    singleton = not agent.has_namepool and m == 1
    return _expands(agent) and not singleton


def _scale_label(agent) -> str:
    """Gas City's poolScaleLabel (an unset max reads `max=1`)."""
    lo = agent.min_active_sessions or 0
    m = agent.max_active_sessions
    hi = "max=1" if m is None else ("max=unlimited" if m < 0 else f"max={m}")
    return f"scaled (min={lo}, {hi})"


@dataclass
class FakeCity:
    """One city the supervisor runs: its documents, which the tests may change at any time."""

    name: str
    path: str
    city_toml: str = CITY_TOML
    running: bool = True
    status_text: str = "ok"
    error: str = ""
    beads: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    partial: dict[str, list[str]] = field(default_factory=dict)  # endpoint -> partial_errors
    cache_age: float | None = None

    def config_docs(self, tmp: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        root = tmp / f"cfg-{self.name}"
        root.mkdir(parents=True, exist_ok=True)
        (root / "city.toml").write_text(self.city_toml)
        city = load_city(str(root))
        agents, details = [], []
        for a in city.agents:
            doc: dict[str, Any] = {"name": a.name, "scope": "rig" if a.dir else "city", "suspended": a.suspended,
                                   "provider": a.provider or "claude"}
            if a.dir:
                doc["dir"] = a.dir
            if _is_pool(a):
                doc["is_pool"] = True
            agents.append(doc)
            row: dict[str, Any] = {"name": a.name, "qualified_name": a.qualified_name, "scope": doc["scope"],
                                   "running": False, "suspended": a.suspended, "group_name": a.qualified_name}
            if _expands(a):
                row["scale_label"] = _scale_label(a)
                row["expanded"] = True
            details.append(row)
        config = {"workspace": {"name": city.workspace.name or self.name, "suspended": False},
                  "agents": agents, "rigs": [{"name": r.name, "path": r.path or "/srv/" + r.name,
                                              "suspended": r.suspended} for r in city.rigs]}
        status = {"name": self.name, "path": self.path, "uptime_sec": 3600, "suspended": False,
                  "agent_count": len(agents), "rig_count": len(city.rigs),
                  "running": sum(1 for s in self.sessions if s.get("running")),
                  "agents": {"total": len(agents), "running": 0, "suspended": 0, "quarantined": 0},
                  "rigs": {"total": len(city.rigs), "suspended": 0},
                  "work": {"in_progress": 0, "ready": 0, "open": 0}, "mail": {"total": 0, "unread": 0},
                  "agent_details": details,
                  "named_session_details": [{"identity": n.identity, "mode": n.effective_mode,
                                             "status": "materialized"} for n in city.named_sessions]}
        if "status" in self.partial:
            status["partial"] = True
            status["partial_errors"] = self.partial["status"]
        return config, status


def fixture_city(name: str = "fixture", now: datetime = NOW, *, provider: str = "k8s") -> FakeCity:
    """The attach tests' fixture city as a supervisor serves it: its session and work beads, the
    open sessions (worker-gc-1 and the mayor run, on a provider that is not tmux), its events."""
    beads = [api_bead(b) for b in work_beads(now) + session_beads(now)]
    running = {"worker-gc-1": ("in-turn", False), "mayor": ("idle", True)}
    sessions = []
    for b in beads:
        if b["issue_type"] != "session" or b["status"] == "closed":
            continue
        md = b["metadata"]
        sname = md.get("session_name", "")
        s: dict[str, Any] = {"id": b["id"], "template": md.get("template", ""), "state": md.get("state") or "active",
                             "title": b["title"], "provider": provider, "session_name": sname,
                             "created_at": b["created_at"], "attached": False, "running": sname in running}
        if md.get("alias"):
            s["alias"] = md["alias"]
        if sname in running:
            s["activity"], s["attached"] = running[sname]
            s["last_active"] = _ts(now - timedelta(minutes=1))
        sessions.append(s)
    events = [{"seq": e["seq"], "type": e["type"], "ts": e["ts"], "actor": e["actor"], "subject": e["subject"],
               "session_id": e["session_id"], "payload": {}} for e in session_events(now)]
    return FakeCity(name, f"/srv/cities/{name}", beads=beads, sessions=sessions, events=events)


@dataclass
class StreamScript:
    """How the event stream behaves, connection by connection."""

    drop_after: list[int] = field(default_factory=list)  # per connection: close after this many events
    refuse: int = 0  # answer this many next connections with 503
    garbage: list[bytes] = field(default_factory=list)  # raw frames sent first on the next connection
    replay_previous: bool = False  # on a resume, send the event at after_seq again first
    heartbeat: float = HEARTBEAT


@dataclass(frozen=True)
class Seen:
    """One request the supervisor received."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes


class Supervisor:
    """The test supervisor (see the module docstring). Use as a context manager."""

    def __init__(self, cities: list[FakeCity], tmp: Path, *, token: str | None = None, version: str = "1.4.0") -> None:
        self.cities = {c.name: c for c in cities}
        self.tmp = tmp
        self.token = token
        self.version = version
        self.script = StreamScript()
        self.requests: list[Seen] = []
        self.stream_connects: list[dict[str, str]] = []  # after_seq / Last-Event-ID of each stream connection
        self.frames: list[tuple[str, str]] = []  # (event name, data) of every stream frame sent
        self.lock = threading.Condition()
        self.closing = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, port: int = 0) -> str:
        sup = self

        class Handler(_Handler):
            supervisor = sup

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self.closing = False
        return self.url

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop answering: every open stream ends, the port closes."""
        with self.lock:
            self.closing = True
            self.lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ---- what the tests change
    def add_event(self, city: str, type_: str = "session.woke", **fields: Any) -> dict[str, Any]:
        with self.lock:
            c = self.cities[city]
            seq = (c.events[-1]["seq"] if c.events else 0) + 1
            ev = {"seq": seq, "type": type_, "ts": _ts(datetime.now(UTC)), "actor": "gc", "payload": {},
                  **fields}
            c.events.append(ev)
            self.lock.notify_all()
            return ev

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Wait until `predicate()` holds (checked whenever the supervisor's state moves)."""
        with self.lock:
            return self.lock.wait_for(predicate, timeout)

    def gets(self) -> list[Seen]:
        with self.lock:
            return list(self.requests)

    # ---- the documents
    def document(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """(status, body, extra headers) for a GET of `path`."""
        if path == "/health":
            running = sum(1 for c in self.cities.values() if c.running)
            return 200, {"status": "ok", "version": self.version, "uptime_sec": 3600,
                         "cities_total": len(self.cities), "cities_running": running}, {}
        if path == "/v0/cities":
            items = []
            for c in self.cities.values():
                item: dict[str, Any] = {"name": c.name, "path": c.path, "running": c.running, "status": c.status_text}
                if c.error:
                    item["error"] = c.error
                items.append(item)
            return 200, {"items": items, "total": len(items)}, {}
        parts = path.split("/")
        if len(parts) < 4 or parts[1:3] != ["v0", "city"]:
            return 404, _problem(404, "no such route"), {}
        city = self.cities.get(unquote(parts[3]))
        if city is None:
            return 404, _problem(404, f"city {unquote(parts[3])!r} not found"), {}
        rest = "/".join(parts[4:])
        headers = {"X-GC-Index": str(city.events[-1]["seq"] if city.events else 0)}
        if city.cache_age is not None:
            headers["X-GC-Cache-Age-S"] = f"{city.cache_age:.3f}"
        if rest == "":
            return 200, {"name": city.name, "path": city.path, "suspended": False, "uptime_sec": 3600,
                         "agent_count": 3, "rig_count": 0}, headers
        if rest in ("config", "status"):
            config, status = city.config_docs(self.tmp)
            return 200, (config if rest == "config" else status), headers
        if rest == "sessions":
            return 200, self._page(city.sessions, query, city.partial.get("sessions")), headers
        if rest == "beads":
            rows = [b for b in city.beads if query.get("all") == "true" or b["status"] != "closed"]
            if query.get("type"):
                rows = [b for b in rows if b["issue_type"] == query["type"]]
            return 200, self._page(rows, query, city.partial.get("beads")), headers
        if rest == "events":
            return 200, self._page(list(reversed(city.events)), query, city.partial.get("events")), headers
        return 404, _problem(404, f"no route {rest}"), {}

    @staticmethod
    def _page(rows: list[Any], query: dict[str, str], partial: list[str] | None) -> dict[str, Any]:
        limit = int(query.get("limit") or 100)
        start = int(query.get("cursor") or 0)
        page = rows[start:start + limit]
        body: dict[str, Any] = {"items": page, "total": len(rows)}
        if start + limit < len(rows):
            body["next_cursor"] = str(start + limit)
        if partial:
            body["partial"] = True
            body["partial_errors"] = partial
        return body


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {"status": status, "title": "Error", "detail": detail}


class _Handler(BaseHTTPRequestHandler):
    supervisor: Supervisor

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _record(self) -> Seen:
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        parts = urlsplit(self.path)
        seen = Seen(self.command, parts.path, tuple(parse_qsl(parts.query, keep_blank_values=True)),
                    {k: v for k, v in self.headers.items()}, body)
        with self.supervisor.lock:
            self.supervisor.requests.append(seen)
            self.supervisor.lock.notify_all()
        return seen

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        self._record()
        self._send(405, _problem(405, f"{self.command} is not served here"))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _refuse

    def do_GET(self) -> None:
        seen = self._record()
        sup = self.supervisor
        if sup.token is not None and seen.headers.get("Authorization") != f"Bearer {sup.token}":
            self._send(401, _problem(401, "a bearer token is required"))
            return
        query = dict(seen.query)
        if seen.path.endswith("/events/stream"):
            self._stream(seen, query)
            return
        with sup.lock:
            status, body, headers = sup.document(seen.path, query)
        self._send(status, body, headers)

    def _stream(self, seen: Seen, query: dict[str, str]) -> None:
        sup = self.supervisor
        name = unquote(seen.path.split("/")[3])
        with sup.lock:
            city = sup.cities.get(name)
            script = sup.script
            if city is None:
                self._send(404, _problem(404, f"city {name!r} not found"))
                return
            if script.refuse > 0:
                script.refuse -= 1
                sup.stream_connects.append({"refused": "503"})
                self._send(503, _problem(503, "events not enabled"))
                return
            last_id = seen.headers.get("Last-Event-ID", "")
            after_q = query.get("after_seq", "")
            sup.stream_connects.append({"after_seq": after_q, "last_event_id": last_id})
            if last_id.isdigit():
                after = int(last_id)
            elif after_q.isdigit():
                after = int(after_q)
            else:
                after = city.events[-1]["seq"] if city.events else 0  # head start
            drop = script.drop_after.pop(0) if script.drop_after else None
            garbage, script.garbage = script.garbage, []
            replay = script.replay_previous and (last_id or after_q)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        sent = 0
        try:
            for raw in garbage:
                self.wfile.write(raw)
            if replay:
                with sup.lock:
                    prev = [e for e in city.events if e["seq"] == after]
                for e in prev:
                    self._frame("event", e, e["seq"])
            while True:
                with sup.lock:
                    pending = [e for e in city.events if e["seq"] > after]
                    if not pending and not sup.closing:
                        sup.lock.wait(script.heartbeat)
                        pending = [e for e in city.events if e["seq"] > after]
                    closing = sup.closing
                if closing:
                    return
                if not pending:
                    self._frame("heartbeat", {"timestamp": _ts(datetime.now(UTC))}, None)
                    continue
                for e in pending:
                    if drop is not None and sent >= drop:
                        return  # the connection drops here
                    self._frame("event", e, e["seq"])
                    after = e["seq"]
                    sent += 1
        except OSError:
            return

    def _frame(self, name: str, data: dict[str, Any], frame_id: int | None) -> None:
        text = json.dumps(data, separators=(",", ":"))
        head = f"id: {frame_id}\n" if frame_id is not None else ""
        self.wfile.write(f"{head}event: {name}\ndata: {text}\n\n".encode())
        self.wfile.flush()
        with self.supervisor.lock:
            self.supervisor.frames.append((name, text))
            self.supervisor.lock.notify_all()


def allowed(method: str, path: str, query: list[tuple[str, str]]) -> bool:
    """The read-only rule, written out independently of core/attach/api/guard.py: GET, one of
    the read paths citywatch uses, and only that path's query keys, each once."""
    from urllib.parse import unquote

    from core.attach.api.guard import ENDPOINTS

    if method != "GET":
        return False
    for e in ENDPOINTS:
        # a city is one path segment (percent-encoded as a client sends it) that is not a
        # relative step and holds no slash once decoded: it can only name a city
        pattern = "^" + re.escape(e.path).replace(re.escape("{city}"), "(?P<city>[^/?#]+)") + "$"
        m = re.match(pattern, path)
        if m:
            if "city" in m.groupdict() and (unquote(m.group("city")) in (".", "..")
                                            or "/" in unquote(m.group("city"))):
                return False
            keys = [k for k, _ in query]
            return set(keys) <= e.query and len(keys) == len(set(keys))
    return False


def not_allowed(requests: list[Seen]) -> list[str]:
    """The requests a supervisor received that break the read-only rule (none, always)."""
    return [f"{r.method} {r.path}?{r.query}" for r in requests
            if not allowed(r.method, r.path, list(r.query)) or r.body]


# ---------------------------------------------------------------------------------- schema checks
_SCHEMA: dict[str, Any] | None = None


def openapi() -> dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads(OPENAPI.read_text())
    return _SCHEMA


def validator_for(schema: dict[str, Any]):
    """A JSON Schema 2020-12 validator for `schema`, its `$ref`s resolved inside the OpenAPI document."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = openapi()
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:gascity:openapi", resource)
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:gascity:openapi#body", **schema}
    return Draft202012Validator(_rebase(root), registry=registry)


def _rebase(node: Any) -> Any:
    """`#/components/...` references made absolute into the OpenAPI resource."""
    if isinstance(node, dict):
        return {k: ("urn:gascity:openapi" + v if k == "$ref" and isinstance(v, str) and v.startswith("#/")
                    else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(x) for x in node]
    return node


def response_schema(template: str) -> dict[str, Any]:
    """The 200 JSON schema of `GET template` (an OpenAPI path such as /v0/city/{cityName}/beads)."""
    return openapi()["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def stream_frame_schema(name: str) -> dict[str, Any]:
    """The schema of one frame's data on the city event stream (`event` or `heartbeat`)."""
    op = openapi()["paths"]["/v0/city/{cityName}/events/stream"]["get"]
    variants = op["responses"]["200"]["content"]["text/event-stream"]["schema"]["items"]["oneOf"]
    for v in variants:
        if v["properties"]["event"].get("const") == name:
            return v["properties"]["data"]
    raise KeyError(name)

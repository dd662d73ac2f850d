"""Attaching through a supervisor's HTTP API, against a real HTTP server on the loopback interface
(supervisorkit): the same picture as a file attach, an event stream that survives drops without
losing or repeating an event, a visible reconnecting state, stale data kept and marked when the
supervisor goes away, partial replies as warnings, a token that never shows, and nothing but
allowed GETs on the wire."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from citykit import NOW, build_city
from supervisorkit import Supervisor, fixture_city, not_allowed

from core.attach.api.client import ApiRefused, ApiTarget, ApiUnreachable, TokenError, read_token
from core.attach.api.session import ApiAttachSession, CityNotFound
from core.attach.api.stream import LIVE, RECONNECTING, Backoff
from core.attach.session import AttachOptions, AttachSession
from tui.cli import main

FAST = Backoff(initial=0.02, factor=2.0, maximum=0.2, jitter=0.0)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def supervisor(tmp_path):
    beta = fixture_city("beta")
    beta.running, beta.error, beta.status_text = False, "city.toml: parse error", "init_failed"
    with Supervisor([fixture_city(), beta], tmp_path) as sup:
        yield sup
        assert not_allowed(sup.gets()) == []  # whatever the test did, only allowed GETs were sent


def attach(sup: Supervisor, city: str = "fixture", **kw) -> ApiAttachSession:
    kw.setdefault("backoff", FAST)
    kw.setdefault("rng", random.Random(1))
    target = kw.pop("target", None) or ApiTarget(sup.url, timeout=5, stream_idle=5)
    return ApiAttachSession.open(target, city, AttachOptions(clock=lambda: NOW), **kw)


def wait(predicate, session: ApiAttachSession | None = None, timeout: float = 15.0) -> None:
    """Poll the stream (woken by its own news) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        if session is not None:
            session.wait_change(0.1)
            session.poll([])


def seqs(session: ApiAttachSession) -> list[int]:
    return [e["seq"] for e in session.events]


# ---------------------------------------------------------------------------------------- the picture
def test_the_api_attach_shows_what_a_file_attach_shows(supervisor, tmp_path) -> None:
    """The same city through its directory and through the API: the same model (desired set),
    the same bead-side drift, deferrals, trackers and alarms; the runtime comes from the API."""
    (tmp_path / "files").mkdir()
    kit = build_city(tmp_path / "files", ticks=0)
    file_snap = AttachSession.open(str(kit.root), AttachOptions(tmux_socket=str(tmp_path / "none"),
                                                                clock=lambda: NOW)).snapshot().to_json()
    for config_dir in (None, str(kit.root)):
        s = attach(supervisor, stream=False, config_dir=config_dir)
        try:
            api_snap = s.snapshot().to_json()
        finally:
            s.close()
        assert api_snap["drift"]["model_desired"] == file_snap["drift"]["model_desired"]

        def bead_side(snap):
            return sorted((i["kind"], i["subject"], i["bead_id"]) for i in snap["drift"]["items"]
                          if i["kind"] in ("missing_bead", "alias", "undesired"))

        assert bead_side(api_snap) == bead_side(file_snap)
        for key in ("alarms", "deferrals", "trackers"):
            assert api_snap[key] == file_snap[key], key
        assert api_snap["city"]["config_source"] == ("local" if config_dir else "api")
    running = {r["name"]: r for r in api_snap["runtime"]}
    assert set(running) == {"mayor", "worker-gc-1"}
    assert running["worker-gc-1"]["activity"] == "in-turn" and running["mayor"]["attached"] is True
    assert api_snap["sources"]["runtime"]["observable"] is True  # a k8s city: no tmux, still observed
    assert {i["kind"] for i in api_snap["drift"]["items"]} >= {"undesired", "state"}


def test_the_cities_are_listed_and_an_unknown_city_is_bad_input(supervisor, capsys) -> None:
    assert main(["attach", supervisor.url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["running"], c["error"]) for c in doc["cities"]] == [
        ("beta", False, "city.toml: parse error"), ("fixture", True, "")]
    assert doc["supervisor"]["version"] == "1.4.0"
    assert main(["attach", supervisor.url]) == 0
    text = capsys.readouterr().out
    assert "beta" in text and "init_failed" in text and "--city NAME" in text
    assert main(["attach", supervisor.url, "--city", "gamma"]) == 2
    assert "runs no city named 'gamma' (it runs: beta, fixture)" in capsys.readouterr().err
    with pytest.raises(CityNotFound):
        attach(supervisor, "gamma")


def test_attach_url_json_is_a_snapshot_like_a_file_attach(supervisor, capsys) -> None:
    assert main(["attach", supervisor.url, "--city", "fixture", "--json", "--now", "2026-06-01T12:00:00Z"]) == 0
    snap = json.loads(capsys.readouterr().out)
    assert {"city", "as_of", "sources", "sessions", "runtime", "deferrals", "trackers", "events", "trace", "drift",
            "alarms", "warnings"} <= set(snap)
    assert snap["sources"]["api"]["reachable"] is True
    assert [e["seq"] for e in snap["events"]] == list(range(100, 108))
    assert {a["kind"] for a in snap["alarms"]} == {"alias_conflict", "idle_spawns", "quarantine", "start_pending",
                                                    "wakes"}  # the fixture's quarantined bead too
    assert main(["attach", supervisor.url, "--city", "fixture", "--check", "--now", "2026-06-01T12:00:00Z"]) == 1
    assert "ALARM wakes fixture/worker-3" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------- the stream
def test_a_dropped_stream_resumes_without_losing_or_repeating_an_event(supervisor) -> None:
    supervisor.script.drop_after = [2, 1, 3]  # three drops in the middle of a burst
    supervisor.script.replay_previous = True  # and each resume sends the last event again
    s = attach(supervisor)
    try:
        wait(lambda: s.stream_status.phase == LIVE, s)
        for i in range(10):
            supervisor.add_event("fixture", subject=f"fixture/worker-{i}", session_id="gc-1")
        wait(lambda: seqs(s)[-1:] == [117], s)
        assert seqs(s) == list(range(100, 118))  # the backlog, then every streamed event once
        st = s.stream_status
        assert st.reconnects == 3 and st.replays >= 3 and st.received == 10
        resumes = [c for c in supervisor.stream_connects if c.get("after_seq")]
        assert [c["after_seq"] for c in resumes] == ["107", "109", "110", "113"]
        assert all(c["last_event_id"] == c["after_seq"] for c in resumes[1:])
    finally:
        s.close()


def test_heartbeats_keep_the_stream_alive_and_malformed_frames_are_skipped(supervisor) -> None:
    supervisor.script.garbage = [b"event: event\ndata: {not json\n\n", b"event: event\ndata: {\"type\": \"x\"}\n\n",
                                 b"event: mystery\ndata: {}\n\n", b"data: [1, 2]\n\n",
                                 b"event: event\ndata: [" * 100 + b"\n\n",
                                 b"id: 9\nevent: event\ndata: {\"seq\": NaN, \"type\": \"x\"}\n\n"]
    s = attach(supervisor)
    try:
        wait(lambda: s.stream_status.skipped >= 6 and s.stream_status.last_frame_at is not None, s)
        supervisor.add_event("fixture", subject="after-garbage")
        wait(lambda: seqs(s)[-1:] == [108], s)
        codes = sorted({w.code for w in s.warnings() if w.source == "events"})
        assert codes == ["stream_bad_event", "stream_bad_frame", "stream_unknown_frame"]
        assert s.stream_status.phase == LIVE and s.stream_status.reconnects == 0
        heartbeats = sum(1 for name, _ in supervisor.frames if name == "heartbeat")
        assert heartbeats >= 1
    finally:
        s.close()


def test_a_silent_stream_is_a_drop_and_is_resumed(supervisor) -> None:
    """No frame for `stream_idle` seconds (Gas City heartbeats every 15 s) means the connection
    is dead even if no error says so: reconnect, from the last seq."""
    supervisor.script.heartbeat = 3.0
    s = attach(supervisor, target=ApiTarget(supervisor.url, timeout=5, stream_idle=0.3))
    try:
        seen = []
        wait(lambda: seen.append(s.stream_status) or s.stream_status.reconnects >= 1, s)
        assert any("did not answer in time (ReadTimeout)" in st.last_error for st in seen)
        assert [c.get("after_seq") for c in supervisor.stream_connects][:2] == ["107", "107"]
    finally:
        s.close()


def test_refused_connections_back_off_exponentially_and_say_so(supervisor) -> None:
    supervisor.script.refuse = 4
    s = attach(supervisor, backoff=Backoff(initial=0.05, factor=2.0, maximum=1.0, jitter=0.0))
    try:
        seen = []
        wait(lambda: seen.append(s.stream_status) or s.stream_status.phase == LIVE, s)
        attempts = sorted({st.attempt for st in seen if st.phase == RECONNECTING})
        assert attempts[-1] == 4
        assert any("503" in st.last_error for st in seen)
        assert [FAST.delay(n, random.Random()) for n in range(1, 6)] == [0.02, 0.04, 0.08, 0.16, 0.2]
        supervisor.add_event("fixture", subject="after-backoff")
        wait(lambda: seqs(s)[-1:] == [108], s)
        assert s.stream_status.attempt == 0
    finally:
        s.close()


def test_a_supervisor_that_goes_away_leaves_the_last_view_marked_stale(supervisor) -> None:
    s = attach(supervisor)
    try:
        wait(lambda: s.stream_status.phase == LIVE, s)
        before = s.snapshot().to_json()
        port = supervisor.port
        supervisor.stop()
        s.poll()
        snap = s.snapshot().to_json()
        api = snap["sources"]["api"]
        assert api["reachable"] is False and api["notice"].startswith("the supervisor has not answered since")
        assert snap["sessions"] == before["sessions"] and snap["alarms"] == before["alarms"]
        assert any(w["code"] == "api_error" for w in snap["warnings"])
        wait(lambda: s.stream_status.phase == RECONNECTING, s)
        supervisor.add_event("fixture", subject="while-away")  # written while nobody could read it
        supervisor.start(port)
        supervisor.add_event("fixture", subject="after-return")
        s.poll()
        wait(lambda: seqs(s)[-1:] == [109], s)
        assert seqs(s) == list(range(100, 110))
        assert s.snapshot().sources.api.reachable is True and s.notice() == ""
    finally:
        s.close()


def test_partial_replies_and_an_old_cache_are_warnings(supervisor) -> None:
    city = supervisor.cities["fixture"]
    city.partial = {"sessions": ["rig beta: store unavailable"], "beads": ["rig beta: timeout"]}
    city.cache_age = 95.0
    s = attach(supervisor, stream=False)
    try:
        snap = s.snapshot().to_json()
    finally:
        s.close()
    texts = [w["text"] for w in snap["warnings"]]
    assert any("partial: rig beta: store unavailable" in t for t in texts)
    assert any("partial: rig beta: timeout" in t for t in texts)
    assert any("cache was 95s old" in t for t in texts)
    rt = snap["sources"]["runtime"]
    assert rt["partial"] is True and rt["cache_age_s"] == 95.0
    assert rt["observable"] is False  # a partial listing cannot say what is not running


def test_pages_are_followed(supervisor) -> None:
    s = attach(supervisor, stream=False)  # the fixture city has five sessions
    try:
        got = s.client.call(s.client.list("sessions", "fixture", page=2))
    finally:
        s.close()
    assert len(got.items) == 5 and got.total == 5 and not got.truncated
    assert [dict(r.query).get("cursor") for r in supervisor.gets() if r.path.endswith("/sessions")][-3:] == \
        [None, "2", "4"]


# ---------------------------------------------------------------------------------------- the token
def test_the_token_is_sent_but_never_shown(tmp_path, capsys, caplog, monkeypatch) -> None:
    token = "s3cr3t-T0KEN-value"
    with Supervisor([fixture_city()], tmp_path, token=token) as sup:
        caplog.set_level(logging.DEBUG)
        monkeypatch.setenv("CITYWATCH_API_TOKEN", token)
        assert main(["attach", sup.url, "--city", "fixture", "--json"]) == 0
        assert main(["attach", sup.url, "--city", "fixture"]) == 0
        monkeypatch.setenv("CITYWATCH_API_TOKEN", "wrong-" + token)
        assert main(["attach", sup.url, "--city", "fixture"]) == 3
        monkeypatch.delenv("CITYWATCH_API_TOKEN")
        (tmp_path / "tok").write_text(token + "\n")
        assert main(["attach", sup.url, "--token-file", str(tmp_path / "tok")]) == 0
        with pytest.raises(ApiRefused):
            ApiAttachSession.open(ApiTarget(sup.url, token="nope"), "fixture")
        s = ApiAttachSession.open(ApiTarget(sup.url, token=token), "fixture")
        seen = repr(s.client.target) + repr(s.client._http.headers) + json.dumps(s.snapshot().to_json())
        s.close()
        sent = [r.headers.get("Authorization") for r in sup.gets()]
        assert f"Bearer {token}" in sent  # it was sent
        assert not_allowed(sup.gets()) == []
    out = capsys.readouterr()
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for where in (out.out, out.err, logged, seen):
        assert token not in where
    assert "CITYWATCH_API_TOKEN" in out.err  # the refusal says where a token goes


def test_a_token_comes_from_the_environment_or_a_file_and_never_the_command_line(tmp_path, capsys) -> None:
    assert read_token(None, {}) is None
    assert read_token(None, {"GC_CITY_URL_TOKEN": " gc-tok "}) == "gc-tok"
    assert read_token(None, {"CITYWATCH_API_TOKEN": "cw", "GC_CITY_URL_TOKEN": "gc"}) == "cw"
    f = tmp_path / "t"
    for bad in ("", "two words", "line\nbreak", "nul\x00"):
        f.write_text(bad)
        with pytest.raises(TokenError) as e:
            read_token(str(f), {})
        assert bad.strip() == "" or bad not in str(e.value)
    for option in ("--token", "--api-token", "--bearer"):
        with pytest.raises(SystemExit) as e:
            main(["attach", "http://127.0.0.1:1", option, "hunter2-secret"])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert f"{option} is not accepted" in err and "hunter2-secret" not in err


# ---------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("args, code, says", [
    (["attach", "http://127.0.0.1:9", "--city", "x"], 3, "cannot connect"),
    (["attach", "http://user:pw@127.0.0.1:9/"], 2, "must not hold credentials"),
    (["attach", "http://127.0.0.1:9", "--bd"], 2, "only for a city directory"),
    (["attach", "http://127.0.0.1:9", "--run-scale-checks"], 2, "only for a city directory"),
    (["attach", "http://127.0.0.1:9", "--watch"], 2, "need --city"),
    (["attach", "http://127.0.0.1:9", "--timeout", "soon"], 2, "--timeout"),
    (["attach", "http://127.0.0.1:9", "--token-file", "/nonexistent/tok"], 2, "cannot be read"),
    (["attach", "/nonexistent-city", "--city", "x"], 2, "only with a supervisor URL"),
    (["--city", "x"], 2, "--city: only with --attach URL"),
    (["--attach", "/nonexistent-city", "--token-file", "t"], 2, "--token-file: only with --attach URL"),
    (["--attach", "http://127.0.0.1:9", "--tmux-socket", "s"], 2, "only for a city directory"),
    (["--attach", "http://127.0.0.1:9"], 3, "cannot connect"),
])
def test_bad_input_and_unreachable_supervisors_exit_with_their_codes(args, code, says, capsys) -> None:
    assert main(args) == code
    assert says in capsys.readouterr().err


def test_an_unverifiable_certificate_is_refused_unless_the_operator_opts_out(tmp_path) -> None:
    """TLS is verified by default: a self-signed server is refused, with the opt-out named."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    cert = tmp_path / "c.pem"
    key = tmp_path / "k.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = b'{"items": [], "total": 0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = HTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{srv.server_address[1]}"
    try:
        from core.attach.api.client import SupervisorClient

        c = SupervisorClient(ApiTarget(url, timeout=5))
        with pytest.raises(ApiUnreachable) as e:
            c.call(c.get("cities"))
        c.close()
        assert "--insecure-skip-verify" in str(e.value) and "--ca-file" in str(e.value)
        for target in (ApiTarget(url, verify=False, timeout=5), ApiTarget(url, ca_file=str(cert), timeout=5)):
            c = SupervisorClient(target)
            assert c.call(c.get("cities")).body == {"items": [], "total": 0}
            c.close()
    finally:
        srv.shutdown()


def test_a_huge_or_deep_or_non_json_reply_is_an_error_not_a_crash(supervisor) -> None:
    from core.attach.api.client import ApiError, SupervisorClient
    from core.guards.safeio import load_json

    for bad in ("[" * 100 + "]" * 100, '{"a": NaN}', '{"a": Infinity}', "nope"):
        with pytest.raises(ValueError):
            load_json(bad)
    city = supervisor.cities["fixture"]
    city.sessions = [{"id": "x" * 1000, "blob": "y" * (1 << 20)}] * 70  # 70 MiB in one reply
    c = SupervisorClient(ApiTarget(supervisor.url, timeout=10))
    try:
        with pytest.raises(ApiError) as e:
            c.call(c.get("sessions", "fixture", {"limit": 1000}))
        assert "more than 64 MiB" in str(e.value)
    finally:
        c.close()


# ---------------------------------------------------------------------------------------- the command
def test_watch_json_survives_a_dropped_stream_and_sends_only_gets(supervisor) -> None:
    """The issue's test: `citywatch attach URL --watch --json --city NAME` against the test
    supervisor keeps every event across a dropped stream and sends only allowed GETs."""
    supervisor.script.drop_after = [1, 1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "tui.cli", "attach", supervisor.url, "--city", "fixture", "--watch",
                          "--json", "--interval", "1s", "--now", "2026-06-01T12:00:00Z"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=str(ROOT), env=env)
    try:
        first = json.loads(p.stdout.readline())
        assert [e["seq"] for e in first["events"]] == list(range(100, 108))
        supervisor.wait_for(lambda: any(c.get("after_seq") == "107" for c in supervisor.stream_connects))
        for i in range(4):
            supervisor.add_event("fixture", subject=f"w{i}", session_id="gc-1")
        while True:
            snap = json.loads(p.stdout.readline())
            got = [e["seq"] for e in snap["events"]]
            if got[-1:] == [111]:
                break
        assert got == list(range(100, 112))
        assert snap["sources"]["api"]["stream"]["reconnects"] >= 2
    finally:
        p.terminate()
        p.communicate(timeout=30)  # drains the pipes, so a snapshot being written cannot hold it
    assert not_allowed(supervisor.gets()) == []
    assert {r.method for r in supervisor.gets()} == {"GET"}


def test_a_hostile_city_list_prints_escaped(tmp_path, capsys) -> None:
    evil = fixture_city("evil")
    evil.name, evil.error = "x\x1b]52;c;aGk=\x07", "\x1b[2Jcleared"
    with Supervisor([evil], tmp_path) as sup:
        assert main(["attach", sup.url]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\\x1b]52;c;aGk=\\x07" in out and "\\x1b[2Jcleared" in out
        assert main(["attach", sup.url, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["cities"][0]["name"] == evil.name
        assert main(["attach", sup.url, "--city", evil.name]) == 2
        assert "\x1b" not in capsys.readouterr().err
        assert not_allowed(sup.gets()) == []


def test_a_closed_loop_refuses_new_calls_without_leaving_them_unawaited() -> None:
    # a poll that races the app's shutdown must get a clear error, not hang on a stopped loop or
    # leave its coroutine never awaited
    import gc
    import warnings

    from core.attach.api.client import ApiError, LoopThread

    loop = LoopThread()

    async def answer() -> int:
        return 42

    assert loop.call(answer()) == 42
    loop.close()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ApiError, match="closed"):
            loop.call(answer())
        gc.collect()
    assert not [w for w in seen if "never awaited" in str(w.message)]

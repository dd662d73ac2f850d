"""The outcome of `citywatch scenario check` over many files, for people, programs and CI.

`check_files` runs each file and returns one typed `FileResult` per file plus the totals;
`render_text` writes one line per file (its failures or its error beside it) and a totals line;
`to_json` a stable document; `to_junit` JUnit XML (one testcase per scenario), which CI systems
show per scenario.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

# Status of one file: passed; failed (an expectation or invariant failed); error (the file is
# invalid: bad input); xfail (a known gap, failing as marked); xpass (marked xfail but passes,
# which counts as a failure so the mark is removed).
PASSED, FAILED, ERROR, XFAIL, XPASS = "passed", "failed", "error", "xfail", "xpass"


@dataclass
class FileResult:
    """One scenario file checked."""

    path: str
    status: str
    name: str = ""
    failures: list[str] = field(default_factory=list)
    error: str = ""  # the located message when the file is invalid
    xfail_reason: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    """Every file checked, in the order given, and how long it all took."""

    results: list[FileResult]
    seconds: float

    def count(self, status: str) -> int:
        """How many files ended with `status`."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        """2 when any file is invalid, else 1 when any failed (an xpass included), else 0."""
        if self.count(ERROR):
            return 2
        return 1 if self.count(FAILED) or self.count(XPASS) else 0

    def totals_line(self) -> str:
        """`12 passed, 1 failed, 0 errors, 2 xfail in 3.41s` (xpass only when there is one)."""
        parts = [f"{self.count(PASSED)} passed", f"{self.count(FAILED)} failed", f"{self.count(ERROR)} errors",
                 f"{self.count(XFAIL)} xfail"]
        if self.count(XPASS):
            parts.append(f"{self.count(XPASS)} xpass")
        return ", ".join(parts) + f" in {self.seconds:.2f}s"


def check_files(paths: list[str], *, packs_dir: str | None = None, semantics: str | None = None,
                scale_check_timeout: float | None = None,
                clock: Callable[[], float] = time.perf_counter) -> Report:
    """Load, run and check each scenario file (with the shared city options: `packs_dir`, a
    `semantics` that overrides the file's, live scale_checks); an invalid file is an `error`
    result, never an exception."""
    from core.scenario.file import ScenarioError, check, load_scenario, run

    results = []
    start = clock()
    for path in paths:
        t0 = clock()
        try:
            scn = load_scenario(path, packs_dir)
        except ScenarioError as e:
            results.append(FileResult(path, ERROR, error=str(e), seconds=clock() - t0))
            continue
        if semantics:
            scn.semantics = semantics
        fails = check(run(scn, scale_check_timeout=scale_check_timeout))
        status = (XFAIL if fails else XPASS) if scn.xfail else FAILED if fails else PASSED
        results.append(FileResult(path, status, name=scn.name, failures=fails, xfail_reason=scn.xfail,
                                  seconds=clock() - t0))
    return Report(results, clock() - start)


_LABEL = {PASSED: "ok   ", FAILED: "FAIL ", ERROR: "ERROR", XFAIL: "xfail", XPASS: "XPASS"}


def render_text(report: Report, *, quiet: bool = False) -> str:
    """One line per file (with `quiet`, only the files that did not pass), each failure or
    error indented under its file, then the totals line."""
    lines = []
    for r in report.results:
        if quiet and r.status in (PASSED, XFAIL):
            continue
        if r.status == ERROR:
            lines.append(f"ERROR {r.path}")
            lines += [f"  {ln}" for ln in r.error.splitlines()]
            continue
        tail = f"  ({r.xfail_reason})" if r.status == XFAIL else \
            f"  (marked xfail but passes: {r.xfail_reason})" if r.status == XPASS else f"  ({r.name})"
        lines.append(f"{_LABEL[r.status]} {r.path}{tail}")
        if r.status == FAILED:
            lines += [f"  - {f}" for f in r.failures]
    lines.append(report.totals_line())
    return "\n".join(lines)


def to_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready document (`schema_version`, `totals`, `results`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "totals": {s: report.count(s) for s in (PASSED, FAILED, ERROR, XFAIL, XPASS)} | {
            "files": len(report.results), "seconds": round(report.seconds, 3)},
        "exit_code": report.exit_code,
        "results": [{"path": r.path, "name": r.name, "status": r.status, "failures": r.failures, "error": r.error,
                     "xfail_reason": r.xfail_reason, "seconds": round(r.seconds, 3)} for r in report.results],
    }


def to_junit(report: Report, suite: str = "citywatch scenarios") -> bytes:
    """JUnit XML: one testsuite, one testcase per file (classname: its folder; name: the file),
    a <failure> per failed check, <error> for an invalid file, <skipped> for an expected failure."""
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(report.results)),
                       failures=str(report.count(FAILED) + report.count(XPASS)), errors=str(report.count(ERROR)),
                       skipped=str(report.count(XFAIL)), time=f"{report.seconds:.3f}")
    for r in report.results:
        folder, _, fname = r.path.replace("\\", "/").rpartition("/")
        tc = ET.SubElement(ts, "testcase", classname=_xml_safe(folder.replace("/", ".") or "."), name=_xml_safe(fname),
                           time=f"{r.seconds:.3f}")
        if r.name:
            ET.SubElement(ET.SubElement(tc, "properties"), "property", name="scenario", value=_xml_safe(r.name))
        if r.status == FAILED:
            el = ET.SubElement(tc, "failure", message=_xml_safe(f"{len(r.failures)} check(s) failed"))
            el.text = _xml_safe("\n".join(r.failures))
        elif r.status == XPASS:
            ET.SubElement(tc, "failure", message=_xml_safe(f"marked xfail but passes: {r.xfail_reason}"))
        elif r.status == ERROR:
            el = ET.SubElement(tc, "error", message="invalid scenario file")
            el.text = _xml_safe(r.error)
        elif r.status == XFAIL:
            ET.SubElement(tc, "skipped", message=_xml_safe(f"expected failure: {r.xfail_reason}"))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _xml_safe(s: str) -> str:
    """XML 1.0 cannot carry most control characters or lone surrogates: show them escaped."""
    return "".join(c if c in "\t\n\r" or _xml_char(ord(c)) else f"\\x{ord(c):02x}" for c in s)


def _xml_char(o: int) -> bool:
    return 0x20 <= o < 0xD800 or 0xE000 <= o <= 0xFFFD or o >= 0x10000

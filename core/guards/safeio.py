"""Reading files that come from outside citywatch: configs, packs, namepools, scenarios, settings
and a live city's files.

Any of them may be a FIFO, a device such as /dev/zero, or far larger than any real one. A read
here opens without blocking, takes regular files only and never reads past a cap, so no input
can hang citywatch or exhaust its memory. Refusals are OSErrors (with `strerror` saying why), so
the callers' existing "cannot read" handling reports them with file and reason.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from typing import Any, BinaryIO

MiB = 1 << 20
# The caps, generous for real files: Gas City's largest config files are a few KiB.
CONFIG_MAX_BYTES = 4 * MiB  # city.toml, pack.toml, agent.toml, fragments, site.toml, namepools, settings
SCENARIO_MAX_BYTES = 16 * MiB
STATE_MAX_BYTES = 512 * MiB  # a live city's bead store (.gc/beads.json)
SMALL_JSON_MAX_BYTES = 1 * MiB  # a trace's head.json


class UnsafeFileError(OSError):
    """A file citywatch refuses to read: not a regular file, or larger than its cap."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n} bytes"


def open_regular(path: str) -> BinaryIO:
    """Open `path` for reading in binary mode if it is a regular file (symlinks followed).

    The open never blocks (a FIFO with no writer would block a plain open forever); anything
    but a regular file raises UnsafeFileError naming what it is. The file comes back in
    ordinary blocking mode, positioned at its start."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            code = errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL
            raise UnsafeFileError(code, f"is {_kind(st.st_mode)}, not a regular file", path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of the regular file `path`, refusing (UnsafeFileError) a FIFO, a device, a
    directory or a file of more than `limit` bytes. At most `limit + 1` bytes are ever read, so a
    file that grows while it is read is refused too rather than read without end."""
    with open_regular(path) as f:
        if os.fstat(f.fileno()).st_size > limit:
            raise UnsafeFileError(errno.EFBIG, f"is larger than the {_size(limit)} citywatch reads", path)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFileError(errno.EFBIG, f"is larger than the {_size(limit)} citywatch reads", path)
    return data


def is_regular(path: str) -> bool:
    """True if `path` (symlinks followed) is a regular file; False for anything else or nothing."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


JSON_MAX_DEPTH = 64  # far deeper than anything Gas City writes


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# One decoder for every call: json.loads builds a new one per call when given parse_constant,
# which costs as much as parsing a short log line.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__


def load_json(raw: bytes | str, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse JSON written by someone else. Raises ValueError (never RecursionError) for text that
    does not parse, that nests arrays and objects more than `max_depth` deep, or that holds
    NaN or Infinity, which JSON does not have (Python's parser accepts them)."""
    try:
        data = _decode(raw)
    except RecursionError:
        raise ValueError(f"nested more than {max_depth} levels deep") from None
    if len(raw) > _COUNT_BRACKETS_UP_TO or _opening_brackets(raw) > max_depth:
        _check_depth(data, max_depth)
    return data


# Every array or object opens with a bracket outside a string, so a text with no more opening
# brackets than the depth limit cannot nest deeper: a log line needs no walk at all. A large
# document is walked without counting (it has far more brackets than any limit).
_COUNT_BRACKETS_UP_TO = 1 << 16


def _opening_brackets(raw: bytes | str) -> int:
    return raw.count("[") + raw.count("{") if isinstance(raw, str) else raw.count(b"[") + raw.count(b"{")


def _decode(raw: bytes | str) -> Any:
    """json.loads(raw, parse_constant=_no_constant), with the shared decoder."""
    if type(raw) is bytes and raw[:2] == b'{"':
        # A trace segment hands over tens of thousands of such lines one by one: json's own
        # steps, taken directly (UTF-8 is what json.detect_encoding says of these two bytes; no
        # whitespace to skip before the object), and the decoder's full path for anything past
        # the object's end (whitespace, or extra data to report).
        text = raw.decode("utf-8", "surrogatepass")
        try:
            obj, end = _SCAN(text, 0)
        except StopIteration:
            return _DECODER.decode(text)  # raises what json.loads raises
        return obj if end == len(text) else _DECODER.decode(text)
    text = raw.decode(json.detect_encoding(raw), "surrogatepass") if isinstance(raw, (bytes, bytearray)) else raw
    if isinstance(text, str) and not text.startswith("\ufeff"):
        return _DECODER.decode(text)
    return json.loads(text, parse_constant=_no_constant)  # json.loads raises what it raises for these


def _check_depth(data: Any, max_depth: int) -> None:
    """ValueError when `data` (as json.loads returns it: plain dicts and lists) nests arrays and
    objects more than `max_depth` deep. Walks one level at a time, without recursion."""
    level = [data] if type(data) is dict or type(data) is list else []
    depth = 0
    while level:
        depth += 1
        deeper: list[Any] = []
        keep = deeper.append
        for value in level:
            for child in value.values() if type(value) is dict else value:
                kind = type(child)
                if kind is dict or kind is list:
                    keep(child)
        if deeper and depth >= max_depth:
            raise ValueError(f"nested more than {max_depth} levels deep")
        level = deeper

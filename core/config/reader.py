"""Reading TOML config files with located errors, and collecting located warnings.

One Reader serves one load: it remembers every file read (the watch set and the revision),
the text of each (to find the line of a field path), and the warnings raised along the way.
"""

from __future__ import annotations

import re
from typing import Any

import tomli

from core.config import schema as S
from core.config.city_config import ConfigWarning
from core.config.errors import ConfigError
from core.config.locate import locate, syntax_position
from core.config.schema import short
from core.guards.safeio import CONFIG_MAX_BYTES, UnsafeFileError, read_regular

_INDEX = re.compile(r"\[\d+\]")


def toml_key(field_path: str) -> str:
    """The dotted key Gas City's decoder reports for a field path: `agent[2].foo` -> `agent.foo`."""
    return _INDEX.sub("", field_path)


def nesting_position(text: str, limit: int = 400) -> tuple[int, int]:
    """(line, col) where inline arrays/tables first nest deeper than `limit` (or 1, 1)."""
    depth = 0
    line, col = 1, 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line, col
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return 1, 1


class Reader:
    def __init__(self, *, strict_unknown: bool = False) -> None:
        self.strict_unknown = strict_unknown  # unknown keys that would warn are errors instead
        self.warnings: list[ConfigWarning] = []
        self._warned: set[tuple[str, str, str]] = set()
        self.files: list[str] = []
        self.texts: dict[str, str] = {}
        self.locate_prefix: dict[str, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ files
    def read_bytes(self, path: str, what: str, *, at: tuple[str, str] | None = None,
                   context: str = "") -> bytes:
        """Read a file; a missing or unreadable one is a ConfigError located at `at`
        (file, field) when given, else at the file itself."""
        try:
            return read_regular(path, CONFIG_MAX_BYTES)
        except FileNotFoundError:
            why = "no such file or directory"
        except IsADirectoryError:
            why = "is a directory, not a file"
        except UnsafeFileError as e:
            why = e.strerror or str(e)
        except OSError as e:
            why = (e.strerror or str(e)).lower()
        msg = f"{context}loading {what} {path}: {why}"
        if at is not None:
            raise self.error(at[0], at[1], msg)
        raise ConfigError(path, msg)

    def read_toml(self, path: str, what: str, *, at: tuple[str, str] | None = None,
                  context: str = "") -> dict[str, Any]:
        return self.parse_text(path, self.read_bytes(path, what, at=at, context=context), what=what,
                               context=context)

    def parse_text(self, path: str, raw: bytes | str, *, what: str = "config", context: str = "") -> dict[str, Any]:
        """Decode and parse TOML; syntax errors become `file:line:col: parsing <what>: ...`."""
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                line = raw[: e.start].count(b"\n") + 1
                col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
                raise ConfigError(path, f"{context}parsing {what}: file is not valid UTF-8 text", line=line,
                                  col=col) from None
        else:
            text = raw
        if path not in self.files:
            self.files.append(path)
        self.texts[path] = text
        try:
            return tomli.loads(text)
        except tomli.TOMLDecodeError as e:
            msg = str(e)
            at_line, at_col = syntax_position(msg)
            if at_line is None:
                at_line = text.count("\n") + 1
                at_col = len(text.rsplit("\n", 1)[-1]) + 1
            detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
            detail = re.sub(r"\s*\(at end of document\)", " at end of document", detail)
            raise ConfigError(path, f"{context}parsing {what}: {detail}", line=at_line, col=at_col) from None
        except RecursionError as e:  # tomli's limit on nested inline arrays and tables
            line, col = nesting_position(text)
            raise ConfigError(path, f"{context}parsing {what}: {e}", line=line, col=col) from None

    def track(self, path: str, text: str) -> None:
        """Remember a non-TOML file read (a namepool) for the watch set and the revision."""
        if path not in self.files:
            self.files.append(path)
        self.texts.setdefault(path, text)

    # ------------------------------------------------------------------ locations
    def line_of(self, file: str, field_path: str) -> int | None:
        text = self.texts.get(file)
        if text is None or not field_path:
            return None
        return locate(text, field_path, self.locate_prefix.get(file, ()))

    def error(self, file: str, field_path: str, message: str) -> ConfigError:
        """A ConfigError of meaning: `file: field: message (line N)`."""
        return ConfigError(file, message, field=field_path, line=self.line_of(file, field_path))

    def warn(self, file: str, message: str, field_path: str = "", *, source: str = "gc") -> None:
        """Record a located warning once. `source="citywatch"` marks citywatch's own note (not a
        warning Gas City gives, so never one strict mode refuses)."""
        key = (file, message, field_path)
        if key in self._warned:  # the same pack loaded for several rigs warns once
            return
        self._warned.add(key)
        self.warnings.append(ConfigWarning(file, message, field_path, self.line_of(file, field_path), source))

    # ------------------------------------------------------------------ keys and types
    def check_document(self, data: dict[str, Any], struct: str, file: str, *, unknown: str,
                       context: str = "") -> None:
        """Check a whole parsed file against Gas City's struct `struct` (gc_structs): value
        types first (check_types), then unknown keys (check_unknown)."""
        self.check_types(data, struct, file, context=context)
        self.check_unknown(data, struct, file, unknown=unknown, context=context)

    def check_types(self, data: dict[str, Any], struct: str, file: str, *, context: str = "") -> None:
        """Raise for the first value whose type Gas City's decoder refuses (its decode fails)."""
        from core.config.undecoded import type_error

        found = type_error(data, struct)
        if found is not None:
            raise self.error(file, found[0], f"{context}{found[1]}")

    def check_unknown(self, data: dict[str, Any], struct: str, file: str, *, unknown: str,
                      context: str = "") -> None:
        """Keys no field of `struct` takes: warnings with `unknown="warn"` (city.toml), one
        joined error with `unknown="error"` (pack.toml, where Gas City fails on them). A
        release-wave notice (`[agent_defaults] scope`) always stays a warning."""
        from core.config.undecoded import undecoded

        fatal = []
        for f in undecoded(data, struct):
            if not f.fatal or (unknown == "warn" and not self.strict_unknown):
                self.warn(file, f.message, f.field)
            else:
                fatal.append(f)
        if fatal:
            raise self.error(file, fatal[0].field, context + "; ".join(f.message for f in fatal))

    def check_table(self, table: Any, spec: dict[str, str], file: str, field_path: str, *,
                    context: str = "") -> dict[str, Any]:
        """Check the value types of one table (a wrong type is an error, as in Gas City's
        decoder) and return it. Unknown keys are reported once per file by check_document."""
        if not isinstance(table, dict):
            raise self.error(file, field_path, f"{context}expected a table, got {S.type_name(table)} {short(table)}")
        for key, value in table.items():
            kind = spec.get(key)
            if kind is not None:
                self.check_type(kind, value, file, f"{field_path}.{key}" if field_path else key, context=context)
        return table

    def check_type(self, kind: str, value: Any, file: str, fp: str, *, context: str = "") -> None:
        if not S.type_ok(kind, value):
            hint = f" ([[{toml_key(fp)}]])" if kind == S.TABLES else ""
            raise self.error(file, fp, f"{context}{S.expected(kind)}{hint}, got {S.type_name(value)} {short(value)}")
        if kind == S.STRLIST:
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.error(file, f"{fp}[{i}]",
                                     f"{context}expected a string, got {S.type_name(item)} {short(item)}")
        if kind == S.STRMAP:
            for k, item in value.items():
                if not isinstance(item, str):
                    raise self.error(file, f"{fp}.{k}",
                                     f"{context}expected a string, got {S.type_name(item)} {short(item)}")

    def check_array(self, value: Any, file: str, field_path: str, *, context: str = "") -> list[dict[str, Any]]:
        """An array of tables (`[[x]]`)."""
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(file, field_path,
                             f"{context}expected an array of tables ([[{toml_key(field_path)}]]), "
                             f"got {S.type_name(value)} {short(value)}")
        return value

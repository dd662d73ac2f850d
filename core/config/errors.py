"""Located config errors: every message names the file and the line/column or field path."""

from __future__ import annotations


class ConfigError(Exception):
    """A config that Gas City would refuse to load or validate.

    `render()` gives `file:line:col: message` for TOML syntax errors and
    `file: field.path: message (line N)` for errors of meaning.
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int | None = None,
        col: int | None = None,
        field: str = "",
    ) -> None:
        super().__init__(message)
        self.file = file
        self.message = message
        self.line = line
        self.col = col
        self.field = field

    def with_file(self, file: str) -> ConfigError:
        """The same error, its file spelled `file` (e.g. relative to a directory)."""
        return ConfigError(file, self.message, line=self.line, col=self.col, field=self.field)

    @property
    def is_syntax(self) -> bool:
        return self.col is not None and not self.field

    def location(self) -> str:
        if self.field:
            return f"{self.file}: {self.field}"
        if self.line is not None:
            loc = f"{self.file}:{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
            return loc
        return self.file

    def render(self) -> str:
        if self.field:
            tail = f" (line {self.line})" if self.line else ""
            return f"{self.file}: {self.field}: {self.message}{tail}"
        return f"{self.location()}: {self.message}"

    def __str__(self) -> str:
        return self.render()

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "field": self.field,
            "message": self.message,
            "text": self.render(),
        }

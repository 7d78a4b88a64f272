"""Findings and severities: what rules produce and reporters print."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that ``>=`` compares against ``--fail-on``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


@dataclass
class Finding:
    """One problem at one place, with the fix written as Alembic code where there is one."""

    rule: str
    severity: Severity
    message: str
    path: str
    line: int
    revision: str | None = None
    fix: str | None = None
    end_line: int | None = None
    suppressed: bool = False
    suppression_reason: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.rule, self.message)

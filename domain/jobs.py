"""What a daily job reports: counts per outcome and readable lines, for the CLI and the shell."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class JobReport:
    job: str
    day: date
    counts: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def count(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + n

    def summary(self) -> str:
        parts = ", ".join(f"{key} {value}" for key, value in sorted(self.counts.items())) or "nothing to do"
        return f"{self.job} for {self.day.isoformat()}: {parts}"

"""Figures, each beside its baseline, printed as a table and written to results.json."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Figure:
    """One measured figure. `ratio` is value / baseline; `met` is None where the budget cannot be judged."""

    key: str
    work: str
    value: float
    unit: str
    baseline: float | None
    baseline_work: str
    budget: str = "-"
    met: bool | None = None
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _met(value: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "n/a"}[value]


def table(figures: list[Figure]) -> str:
    """A Markdown table: figure, baseline, ratio, budget, met / not met."""
    rows = [("work", "figure", "baseline", "ratio", "budget", "budget met")]
    for fig in figures:
        rows.append((
            fig.work, _number(fig.value, fig.unit), f"{_number(fig.baseline, fig.unit)} ({fig.baseline_work})",
            "-" if fig.ratio is None else f"{fig.ratio:.2f}", fig.budget, _met(fig.met),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def write_json(path: Path, *, size: int, machine: dict, figures: list[Figure], errors: dict,
               command: str) -> None:
    document = {
        "size": size,
        "command": command,
        "machine": machine,
        "figures": {fig.key: {**asdict(fig), "ratio": fig.ratio} for fig in figures},
        "errors": errors,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")

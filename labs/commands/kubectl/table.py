"""kubectl's table layout: tab-separated cells aligned by a tabwriter, ages as `HumanDuration`.

Sources (k8s.io, v0.36):
- cli-runtime `pkg/printers/tabwriter.go` `GetNewTabWriter`: minwidth 6, padding 3, pad char ' ', flags
  RememberWidths (github.com/liggitt/tabwriter, a fork of Go's text/tabwriter with the same cell rule:
  a column is as wide as its widest tab-terminated cell plus the padding, at least minwidth; the last cell
  of a line is not tab-terminated, so it is never padded).
- cli-runtime `pkg/printers/tableprinter.go` `printTable`: headers are the column names upper-cased, no
  header when there are no rows; `decorateTable` puts NAMESPACE first (-A) and LABELS last (--show-labels).
- apimachinery `pkg/util/duration/duration.go` `HumanDuration`; `translateTimestampSince` prints it.
- apimachinery `pkg/labels/labels.go` `FormatLabels` (sorted `k=v` joined by `,`, `<none>` when empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

__all__ = ["tabwrite", "human_duration", "age", "format_labels", "Table"]

MIN_WIDTH = 6
PADDING = 3


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Align rows of cells the way kubectl's tabwriter does (see module docstring)."""
    if not rows:
        return ""
    columns = max(len(r) for r in rows)
    widths = [MIN_WIDTH] * columns
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell) + PADDING)
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        cells.append(row[-1] if row else "")
        lines.append("".join(cells))
    return "\n".join(lines) + "\n"


def human_duration(d: timedelta) -> str:
    """apimachinery duration.HumanDuration: ~2-3 significant figures."""
    seconds = int(d.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(created: datetime | None, now: datetime) -> str:
    """`translateTimestampSince`: `<unknown>` without a timestamp."""
    return "<unknown>" if created is None else human_duration(now - created)


def format_labels(labels: Mapping[str, str] | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


class Table:
    """Column definitions (name, priority) and rows, printed like `printTable` + `decorateTable`."""

    def __init__(self, columns: Sequence[tuple[str, int]]):
        self.columns = list(columns)
        self.rows: list[tuple[list[str], str | None, Mapping[str, str] | None]] = []

    def add(self, cells: Sequence[str], *, namespace: str | None = None,
            labels: Mapping[str, str] | None = None) -> None:
        self.rows.append((list(cells), namespace, labels))

    def render(self, *, wide: bool = False, with_namespace: bool = False, show_labels: bool = False,
               kind_prefix: str | None = None, no_headers: bool = False) -> str:
        keep = [i for i, (_, priority) in enumerate(self.columns) if wide or priority == 0]
        out: list[list[str]] = []
        if not self.rows:
            return ""
        if not no_headers:
            header = [self.columns[i][0].upper() for i in keep]
            if with_namespace:
                header.insert(0, "NAMESPACE")
            if show_labels:
                header.append("LABELS")
            out.append(header)
        for cells, namespace, labels in self.rows:
            row = [cells[i] for i in keep]
            if kind_prefix:
                row[0] = f"{kind_prefix}/{row[0]}"
            if with_namespace:
                row.insert(0, namespace or "")
            if show_labels:
                row.append(format_labels(labels))
            out.append(row)
        return tabwrite(out)

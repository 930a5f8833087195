"""Go's `text/tabwriter` (flags 0, space padding), which hubble, cilium-dbg and the cilium CLI print through.

Cells are terminated by tabs; a column block is a run of consecutive lines that have a cell in that
column, and each block is as wide as its widest cell plus the padding (at least `minwidth`). The text
after a line's last tab is not part of any column and is written as is. Widths count code points, as
Go's writer counts runes. This is the algorithm of Go's `Writer.format` / `writeLines`.
"""

from __future__ import annotations

__all__ = ["tabwrite"]


def tabwrite(text: str, *, minwidth: int, padding: int) -> str:
    """Align tab-separated `text` as `tabwriter.NewWriter(w, minwidth, 0, padding, ' ', 0)` then Flush."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write_lines(widths: list[int], start: int, end: int) -> None:
        for i in range(start, end):
            cells = lines[i]
            parts = []
            for j, cell in enumerate(cells):
                parts.append(cell.ljust(widths[j]) if j < len(widths) else cell)
            out.append("".join(parts) + ("\n" if i + 1 < len(lines) else ""))

    def fmt(widths: list[int], start: int, end: int) -> None:
        column = len(widths)
        line0 = start
        this = start
        while this < end:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(widths, line0, this)
            line0 = this
            width = minwidth
            while this < end and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt([*widths, width], line0, this)
            line0 = this
        write_lines(widths, line0, end)

    fmt([], 0, len(lines))
    return "".join(out)

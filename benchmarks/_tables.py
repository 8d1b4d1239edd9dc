"""Plain-text tables shared by the benchmark scripts."""

from __future__ import annotations


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, first column left-aligned and the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join([str(first).ljust(widths[0])]
                         + [str(cell).rjust(width) for cell, width in zip(rest, widths[1:])])

    return "\n".join([line(headers), "  ".join("-" * width for width in widths)]
                     + [line(row) for row in rows])

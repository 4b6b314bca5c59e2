"""The table model: columns declared once as (name, type, description, getter).

A table's rows are computed from its column declarations, and the CSV and XLSX writers
and the data dictionary all read the same declarations: a column's header, cell values
and documentation cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

ColumnKind = Literal["string", "integer", "number", "datetime", "date", "boolean"]
Cell = str | int | float | bool | datetime | date | None
R = TypeVar("R")


class Column(msgspec.Struct, Generic[R], frozen=True):
    """A table column: its name, value kind, meaning (the data dictionary) and how to read
    its value from one record of the table."""

    name: str
    kind: ColumnKind
    description: str
    get: Callable[[R], Cell]


class Table(msgspec.Struct, kw_only=True):
    """A named tidy table; ``rows`` hold one value per column, in column order."""

    name: str
    description: str
    columns: Sequence[Column[Any]]
    rows: list[list[Cell]] = []


def table_of(
    name: str, description: str, columns: Sequence[Column[R]], records: Iterable[R]
) -> Table:
    """A table with one row per record, each cell read by its column's getter."""
    return Table(
        name=name,
        description=description,
        columns=columns,
        rows=[[column.get(record) for column in columns] for record in records],
    )


def data_dictionary(tables: list[Table]) -> Table:
    """One row per column of every table: what it holds."""
    rows = [(t.name, c) for t in tables for c in t.columns]
    columns: tuple[Column[tuple[str, Column[Any]]], ...] = (
        Column("table", "string", "Table (CSV file or sheet) name", lambda r: r[0]),
        Column("column", "string", "Column name", lambda r: r[1].name),
        Column(
            "type", "string", "string, integer, number, datetime, date or boolean",
            lambda r: r[1].kind,
        ),
        Column("description", "string", "What the column holds", lambda r: r[1].description),
    )  # fmt: skip
    return table_of("data_dictionary", "One row per column of every table", columns, rows)


__all__ = ["Cell", "Column", "ColumnKind", "Table", "data_dictionary", "table_of"]

"""The table model: columns declared once as (name, type, description, getter).

A table's rows are computed from its column declarations, and the CSV and XLSX writers
and the data dictionary all read the same declarations: a column's header, cell values
and documentation cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
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
    """A named tidy table; ``rows`` hold one value per column, in column order.

    A large table may be streamed instead (:func:`streamed_table`): its rows are made
    each time :meth:`iter_rows` is called, from records read as they go (``rows`` is
    then empty). Writers read :meth:`iter_rows` or :func:`row_batches`."""

    name: str
    description: str
    columns: Sequence[Column[Any]]
    rows: list[list[Cell]] = []
    stream: Callable[[], Iterator[list[Cell]]] | None = None

    def iter_rows(self) -> Iterator[list[Cell]]:
        """The rows, made now when the table is streamed."""
        return self.stream() if self.stream is not None else iter(self.rows)


ROW_BATCH = 2000  # rows a writer holds at once from a streamed table


def row_batches(table: Table, size: int | None = None) -> Iterator[list[list[Cell]]]:
    """The rows of ``table`` in lists of at most ``size`` (default :data:`ROW_BATCH`);
    a list table's rows come as one batch."""
    if table.stream is None:
        if table.rows:
            yield table.rows
        return
    rows = table.iter_rows()
    while batch := list(islice(rows, size or ROW_BATCH)):
        yield batch


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


def streamed_table(
    name: str, description: str, columns: Sequence[Column[R]], records: Callable[[], Iterable[R]]
) -> Table:
    """A table whose rows are made from ``records()`` each time they are read, one record
    at a time (never held whole): for the tables as long as the corpus."""

    def rows() -> Iterator[list[Cell]]:
        for record in records():
            yield [column.get(record) for column in columns]

    return Table(name=name, description=description, columns=columns, stream=rows)


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


__all__ = [
    "ROW_BATCH",
    "Cell",
    "Column",
    "ColumnKind",
    "Table",
    "data_dictionary",
    "row_batches",
    "streamed_table",
    "table_of",
]

"""Export a corpus store, one file per table: `sourcetrace export --format csv|parquet`.

CSV: UTF-8, a header row, NULL as an empty field. Parquet: one file per table with the column
types of the store (INTEGER -> int64, REAL -> float64, TEXT -> string); it needs the optional
package pyarrow (`pip install "sourcetrace[export]"`). Tables are read in chunks, never whole.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Iterator

from .store import open_existing

CHUNK = 10_000
FORMATS = ("csv", "parquet")


class ExportError(ValueError):
    """An export that cannot be made; the message says why (e.g. the missing package)."""


def tables(conn: sqlite3.Connection) -> list[str]:
    """Every table of the store (data tables, `errors` and `schema_migrations`), in name order."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(row[1], (row[2] or "").upper()) for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _chunks(conn: sqlite3.Connection, table: str) -> Iterator[list[tuple]]:
    cur = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
    while True:
        rows = cur.fetchmany(CHUNK)
        if not rows:
            return
        yield rows


def _write_csv(conn: sqlite3.Connection, table: str, path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([name for name, _ in _columns(conn, table)])
        for rows in _chunks(conn, table):
            writer.writerows(rows)
            n += len(rows)
    return n


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ExportError("parquet export needs the Python package 'pyarrow', which is not installed: "
                          "pip install \"sourcetrace[export]\" (or pip install pyarrow)") from None
    return pyarrow, pyarrow.parquet


def _arrow_type(pa, declared: str):
    if "INT" in declared:
        return pa.int64()
    if any(t in declared for t in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    return pa.string()


def _write_parquet(conn: sqlite3.Connection, table: str, path: Path) -> int:
    pa, pq = _pyarrow()
    columns = _columns(conn, table)
    schema = pa.schema([(name, _arrow_type(pa, declared)) for name, declared in columns])
    n = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for rows in _chunks(conn, table):
            arrays = [pa.array([r[i] for r in rows], type=schema.field(i).type) for i in range(len(columns))]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            n += len(rows)
    return n


def export(db: str, fmt: str, out: str) -> list[Path]:
    """Write every table of `db` to `out`/TABLE.csv or TABLE.parquet; the paths written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose csv or parquet")
    if fmt == "parquet":
        _pyarrow()  # fail before writing anything
    conn = open_existing(db)
    try:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for table in tables(conn):
            path = folder / f"{table}.{fmt}"
            (_write_csv if fmt == "csv" else _write_parquet)(conn, table, path)
            written.append(path)
        return written
    finally:
        conn.close()

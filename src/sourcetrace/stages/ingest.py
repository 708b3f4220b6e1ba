"""Text, files and JSONL records -> Document.

requires: (nothing: this is where a Document is made)
assigns:  text, id, title, published, url, outlet, language

Normalisation happens here, before the Document exists, so no offset ever moves afterwards:
a byte-order mark is dropped and Windows/old-Mac line ends become "\\n" for files. Text given
directly (an API call, a JSONL record) is kept exactly as given, so gold offsets stay valid.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Mapping

from ..document import Document

MAX_BYTES = 20 * 1024 * 1024  # an "article" larger than this is refused, not analysed
META_KEYS = ("id", "title", "published", "url", "outlet", "language")


class InputError(ValueError):
    """Input that cannot become a Document; the message names the input and the problem."""


def check_date(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: 'published' must be a YYYY-MM-DD string, not {value!r}")
    try:
        return _dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise InputError(f"{where}: 'published' is not a YYYY-MM-DD date: {value!r}") from None


def from_text(text: str, *, where: str = "<text>", **meta: Any) -> Document:
    if not isinstance(text, str):
        raise InputError(f"{where}: text must be a string, not {type(text).__name__}")
    clean = {k: v for k, v in meta.items() if k in META_KEYS and v is not None}
    for key in ("id", "title", "url", "outlet", "language"):
        if key in clean and not isinstance(clean[key], str):
            clean[key] = str(clean[key])
    clean["published"] = check_date(meta.get("published"), where)
    return Document(text, **clean)


def from_record(record: Mapping[str, Any], *, where: str = "<record>") -> Document:
    if not isinstance(record, Mapping):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if "text" not in record:
        raise InputError(f"{where}: record has no 'text' field")
    meta = {k: record.get(k) for k in META_KEYS}
    if meta.get("outlet") is None and record.get("publisher") is not None:
        meta["outlet"] = record.get("publisher")
    return from_text(record["text"], where=where, **meta)


def decode(data: bytes, where: str) -> str:
    if len(data) > MAX_BYTES:
        raise InputError(f"{where}: {len(data)} bytes is larger than the {MAX_BYTES}-byte limit")
    if b"\x00" in data[:4096]:
        raise InputError(f"{where}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def from_path(path: str | Path, **meta: Any) -> Document:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    return from_text(decode(data, str(p)), where=str(p), **meta)

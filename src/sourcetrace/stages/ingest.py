"""Text, files and JSONL records -> Document.

requires: (nothing: this is where a Document is made)
assigns:  text, id, title, author, published, url, outlet, language

HTML pages (a file ending in .html/.htm, or text that starts like HTML, or a JSONL record with an
"html" field) go through trafilatura, which keeps the article and drops navigation, comments and
related links; offsets then refer to the extracted text.

Normalisation happens here, before the Document exists, so no offset ever moves afterwards:
a byte-order mark is dropped and Windows/old-Mac line ends become "\\n" for files. Text given
directly (an API call, a JSONL record) is kept exactly as given, so gold offsets stay valid.
"""

from __future__ import annotations

import datetime as _dt
import re
from html import unescape
from pathlib import Path
from typing import Any, Mapping

from ..document import Document

MAX_BYTES = 20 * 1024 * 1024  # an "article" larger than this is refused, not analysed
META_KEYS = ("id", "title", "author", "published", "url", "outlet", "language")


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
    for key in ("id", "title", "author", "url", "outlet", "language"):
        if key in clean and not isinstance(clean[key], str):
            clean[key] = str(clean[key])
    clean["published"] = check_date(meta.get("published"), where)
    return Document(text, **clean)


def from_record(record: Mapping[str, Any], *, where: str = "<record>") -> Document:
    if not isinstance(record, Mapping):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if "text" not in record and "html" not in record:
        raise InputError(f"{where}: record has no 'text' field")
    meta = {k: record.get(k) for k in META_KEYS}
    if meta.get("outlet") is None and record.get("publisher") is not None:
        meta["outlet"] = record.get("publisher")
    if "text" not in record and isinstance(record.get("html"), str):
        return from_html(record["html"], where=where, **{k: v for k, v in meta.items() if v is not None})
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


HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MIN_HTML_WORDS = 10  # fewer extracted words than this is a page with no article (a menu, an error page)


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)


def from_html(html: str, *, where: str = "<html>", **meta: Any) -> Document:
    """The article in a saved web page: main text and metadata (title, author, date, site, canonical
    URL) extracted with trafilatura; navigation, comments and related links are left out. Given
    metadata (e.g. --published) wins over what the page says. Offsets refer to the extracted text."""
    import trafilatura

    try:
        extracted = trafilatura.bare_extraction(
            html, url=meta.get("url"), with_metadata=True, include_comments=False, include_tables=False,
            favor_precision=True, deduplicate=False)
    except Exception as exc:  # trafilatura raises many kinds on broken markup
        raise InputError(f"{where}: HTML could not be parsed ({type(exc).__name__}: {exc})") from None
    if extracted is None:
        raise InputError(f"{where}: no article text found in the HTML")
    found = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    text = (found.get("text") or "").strip()
    if len(text.split()) < MIN_HTML_WORDS:
        raise InputError(f"{where}: no article text found in the HTML ({len(text.split())} words extracted)")
    page_meta = {
        "title": found.get("title"),
        "author": found.get("author"),
        "published": (found.get("date") or "")[:10] or None,
        "outlet": found.get("sitename"),
        "url": found.get("url"),
        "language": found.get("language"),
    }
    if not page_meta["outlet"] or "." in page_meta["outlet"] and " " not in page_meta["outlet"]:
        # No site name in the metadata (trafilatura then falls back to the domain): the masthead
        # after the last separator of <title> ("Headline | The Courier") is the better name.
        page_meta["outlet"] = _title_suffix(html) or page_meta["outlet"]
    merged = {k: v for k, v in page_meta.items() if v}
    merged.update({k: v for k, v in meta.items() if v is not None})
    return from_text(text, where=where, **merged)


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _title_suffix(html: str) -> str | None:
    m = _TITLE.search(html[:200_000])
    if not m:
        return None
    title = unescape(" ".join(m.group(1).split()))
    for sep in (" | ", " - ", " – ", " — "):
        if sep in title:
            suffix = title.rsplit(sep, 1)[1].strip()
            if 0 < len(suffix) <= 60:
                return suffix
    return None


def from_path(path: str | Path, **meta: Any) -> Document:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    text = decode(data, str(p))
    if p.suffix.lower() in HTML_SUFFIXES or looks_like_html(text):
        return from_html(text, where=str(p), **meta)
    return from_text(text, where=str(p), **meta)

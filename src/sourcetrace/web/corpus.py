"""Read-only access to a corpus store (made by `sourcetrace batch --db`) for the web service.

The store is checked (and migrated if older) once, when the app is made; each request then opens
its own read-only connection, so a batch run may keep writing to the store while it is served.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .. import stats, store

# The columns of `articles` listed by GET /api/articles, in this order.
LIST_COLUMNS = ("key", "doc_id", "title", "published", "outlet", "url", "words", "quotes", "sources",
                "unattributed_claims", "analysed_at")


class Corpus:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        store.open_existing(self.path).close()  # raises StoreError naming the file if it is not a store

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)

    def list_articles(self, limit: int, offset: int, outlet: str | None) -> dict[str, Any]:
        where, params = ("WHERE outlet = ?", [outlet]) if outlet is not None else ("", [])
        conn = self.connect()
        try:
            total = conn.execute(f"SELECT COUNT(*) FROM articles {where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT {', '.join(LIST_COLUMNS)} FROM articles {where}"
                " ORDER BY published IS NULL, published DESC, key LIMIT ? OFFSET ?",
                params + [limit, offset]).fetchall()
        finally:
            conn.close()
        return {"total": total, "limit": limit, "offset": offset,
                "articles": [dict(zip(LIST_COLUMNS, row)) for row in rows]}

    def article_json(self, ident: str) -> dict[str, Any] | None:
        """The stored analysis of the article whose store key is `ident`, else of the one article
        whose given id (`doc_id`) is `ident`; None when there is no such article or several."""
        conn = self.connect()
        try:
            rows = conn.execute("SELECT json FROM articles WHERE key = ?", (ident,)).fetchall()
            if not rows:
                rows = conn.execute("SELECT json FROM articles WHERE doc_id = ? LIMIT 2", (ident,)).fetchall()
        finally:
            conn.close()
        return json.loads(rows[0][0]) if len(rows) == 1 else None

    def stats(self, by: str | None, top: int) -> dict[str, Any]:
        conn = self.connect()
        try:
            return {"by": by, "groups": stats.compute(conn, by, top)}
        finally:
            conn.close()

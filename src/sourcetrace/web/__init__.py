"""`sourcetrace serve`: the web service and page (see docs/serve.md).

    from sourcetrace.web import create_app
    app = create_app(db="corpus.sqlite")   # any ASGI server; `serve` runs uvicorn
"""

from __future__ import annotations

from .app import MAX_BYTES, TIME_LIMIT, create_app

__all__ = ["create_app", "serve", "MAX_BYTES", "TIME_LIMIT"]


def serve(host: str, port: int, *, db: str | None = None, max_bytes: int = MAX_BYTES,
          time_limit: float = TIME_LIMIT) -> int:
    """Run the app with uvicorn until interrupted; the model is loaded before the first request."""
    import uvicorn

    app = create_app(db, max_bytes=max_bytes, time_limit=time_limit)
    # limit_concurrency: connections beyond it get a 503 from uvicorn itself, before any work.
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", log_config=stderr_logging(),
                    limit_concurrency=500, timeout_graceful_shutdown=5, server_header=False)
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start (port taken); it logged why
        return 1 if exc.code else 0
    return 0


def stderr_logging() -> dict:
    """uvicorn's logging configuration with the access log on stderr too (uvicorn puts it on
    stdout), as every log of sourcetrace is."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        if handler.get("stream") == "ext://sys.stdout":
            handler["stream"] = "ext://sys.stderr"
    return config

"""The FastAPI app behind `sourcetrace serve`: the analysis API, a corpus store's API, and the page.

Every error is JSON `{"error": message}` (422 adds pydantic's `detail` list). Nothing here fetches
a URL: `url` in a request is metadata only. See docs/serve.md.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

from fastapi import FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from .. import __version__
from ..document import Document
from ..output import html as html_report
from ..output.schema import SCHEMA_VERSION, to_dict
from ..stages.ingest import InputError, check_date
from .corpus import Corpus
from .middleware import BodyLimit, NoSniff
from .worker import Analyser, Busy, TimeLimitExceeded

log = logging.getLogger("sourcetrace.web")

MAX_BYTES = 4 * 1024 * 1024  # a saved news page is rarely over 2 MB; JSON escaping adds some
TIME_LIMIT = 30.0            # seconds a request may wait for its analysis, queueing included
MAX_PENDING = 100            # analyses waiting or running before more are refused (503)
STATIC = Path(str(resources.files("sourcetrace") / "web" / "static"))

# The page's scripts and styles are served by the app itself; inline styles are allowed because
# the report (shown in a sandboxed frame, which inherits this policy) styles its highlights inline.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def article_schema(schema: dict[str, Any]) -> None:
    """The request schema as the API checks it: strings (null is accepted as "not given" but not
    advertised), a date, and exactly one of text/html, so generated requests are valid ones."""
    for prop in schema["properties"].values():
        prop.pop("anyOf", None)
        prop.pop("default", None)
        prop["type"] = "string"
    schema["properties"]["published"]["format"] = "date"
    schema["oneOf"] = [{"required": ["text"]}, {"required": ["html"]}]


class Article(BaseModel):
    """One article: exactly one of `text` (kept exactly as given; offsets refer to it) or `html`
    (a saved web page; its main text is extracted and offsets refer to that)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=article_schema)

    text: str | None = Field(None, description="the article text")
    html: str | None = Field(None, description="a saved web page holding the article")
    published: str | None = Field(None, description="publication date YYYY-MM-DD, the base of relative dates",
                                  examples=["2025-05-02"])
    url: str | None = Field(None, description="the article's address (metadata only: never fetched)")
    outlet: str | None = Field(None, description="the publisher's name")
    title: str | None = Field(None, description="the article's title")

    @field_validator("text", "html", "url", "outlet", "title")
    @classmethod
    def utf8_text(cls, value: str | None) -> str | None:
        if value is not None and not is_utf8_encodable(value):
            raise ValueError("contains a lone surrogate (\\ud800-\\udfff), which is not text")
        return value

    @field_validator("published")
    @classmethod
    def iso_date(cls, value: str | None) -> str | None:
        try:
            return check_date(value, "published")
        except InputError:
            raise ValueError(f"not a YYYY-MM-DD date: {value!r}") from None

    @model_validator(mode="after")
    def text_or_html(self) -> "Article":
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of 'text' (the article text) or 'html' (a saved web page)")
        return self


class ErrorOut(BaseModel):
    error: str


class Report(BaseModel):
    analysis: dict[str, Any] = Field(description="the analysis JSON, as POST /api/analyze returns it")
    html: str = Field(description="the HTML report, as `sourcetrace analyze --format html` prints it")


def json_bytes(data: Any) -> bytes:
    """JSON as FastAPI's JSONResponse encodes it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def is_utf8_encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


ANALYSIS_ERRORS = {
    413: {"model": ErrorOut, "description": "request body over the size limit"},
    422: {"description": "not an article: bad JSON, not exactly one of text/html, bad date, no article in the HTML"},
    503: {"model": ErrorOut, "description": "too many analyses waiting"},
    504: {"model": ErrorOut, "description": "the analysis took longer than the time limit"},
}
STORE_ERRORS = {404: {"model": ErrorOut, "description": "no store configured, or no such article"}}
# From a listed article to its analysis (for clients and for schemathesis' stateful tests).
ARTICLE_LINK = {"GetArticle": {"operationId": "get_article",
                               "parameters": {"id": "$response.body#/articles/0/key"}}}
MAX_OFFSET = 2**31  # SQLite takes 64-bit integers; a larger offset would be a server error
ANALYSIS_JSON = {200: {"description": f"the analysis JSON (schema {SCHEMA_VERSION}, see docs/schema.md)",
                       "content": {"application/json": {"schema": {"type": "object"}}}}}


def create_app(db: str | Path | None = None, *, max_bytes: int = MAX_BYTES, time_limit: float = TIME_LIMIT,
               max_pending: int = MAX_PENDING) -> FastAPI:
    """The app; `db` is a corpus store to serve (checked now: a bad path raises StoreError)."""
    if max_bytes < 1 or time_limit <= 0 or max_pending < 1:
        raise ValueError(f"limits must be positive: max bytes {max_bytes}, time limit {time_limit:g} s, "
                         f"max pending {max_pending}")
    corpus = Corpus(db) if db is not None else None
    analyser = Analyser(time_limit=time_limit, max_pending=max_pending)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await analyser.start()
        log.info("model loaded; limits: %d-byte bodies, %.0f s per analysis", max_bytes, time_limit)
        yield
        analyser.close()

    app = FastAPI(title="sourcetrace", version=__version__, lifespan=lifespan, redoc_url=None, docs_url=None,
                  description="Who says what, on whose authority, and what is left unsourced in news articles. "
                              "See docs/serve.md.")
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    app.add_middleware(NoSniff)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error(exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error(400, "the request body is not valid JSON")
        return error(422, "invalid request: " + "; ".join(describe(p) for p in problems),
                     detail=[{k: p[k] for k in ("loc", "msg", "type") if k in p} for p in problems])

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    async def analysed(article: Article, finish: Callable[[Document], Any]) -> Response:
        """A JSON response of `finish(analysed document)`, made in the worker thread."""
        try:
            body = await analyser.run(article.model_dump(), lambda doc: json_bytes(finish(doc)))
        except InputError as exc:
            return error(422, str(exc))
        except Busy:
            return error(503, "too many articles waiting for analysis; try again shortly")
        except TimeLimitExceeded:
            return error(504, f"the analysis took longer than the {time_limit:g}-second limit")
        return Response(body, media_type="application/json")

    @app.post("/api/analyze", responses={**ANALYSIS_JSON, **ANALYSIS_ERRORS}, tags=["analysis"])
    async def analyze(article: Article) -> Response:
        """Analyse one article: the same JSON as `sourcetrace analyze` prints."""
        return await analysed(article, to_dict)

    @app.post("/api/report", response_model=Report, responses=ANALYSIS_ERRORS, tags=["analysis"])
    async def report(article: Article) -> Response:
        """Analyse one article: the analysis JSON and the HTML report (the page shows both)."""
        return await analysed(article, lambda doc: {"analysis": to_dict(doc), "html": html_report.render(doc)})

    def the_corpus() -> Corpus:
        if corpus is None:
            raise StarletteHTTPException(404, "no store is configured: start the server with --db CORPUS.sqlite")
        return corpus

    @app.get("/api/articles", responses={200: {"links": ARTICLE_LINK}, **STORE_ERRORS}, tags=["store"])
    def articles(limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                 offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                 outlet: str | None = None) -> dict[str, Any]:
        """The stored articles, newest first: key, given id, metadata and a few profile figures."""
        return the_corpus().list_articles(limit, offset, outlet)

    @app.get("/api/articles/{id}", responses={**ANALYSIS_JSON, **STORE_ERRORS}, tags=["store"],
             operation_id="get_article")
    def article(id: Annotated[str, PathParam(description="the store key, or the id given in the batch input")]
                ) -> Response:
        """The stored analysis of one article (the JSON `sourcetrace analyze` prints)."""
        data = the_corpus().article_json(id)
        if data is None:
            return error(404, f"no article with key or id {id!r} in the store")
        return JSONResponse(data)

    @app.get("/api/stats", responses=STORE_ERRORS, tags=["store"])
    def corpus_stats(by: Literal["outlet", "month", "source_type"] | None = None,
                     top: Annotated[int, Query(ge=0, le=100)] = 5) -> dict[str, Any]:
        """Corpus figures, as `sourcetrace stats --format json` prints them (see docs/stats.md)."""
        return the_corpus().stats(by, top)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Answers at once, even while articles are being analysed."""
        return {"status": "ok", "version": __version__, "schema_version": SCHEMA_VERSION,
                "store": corpus is not None, "analyses_pending": analyser.pending}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": PAGE_CSP})

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        # FastAPI's default page loads Swagger UI from a CDN; these assets come from a pinned package.
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="sourcetrace API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    return app


NOT_AN_OBJECT = ("the request body must be a JSON object with 'text' or 'html', "
                 "sent with Content-Type: application/json")


def describe(problem: dict[str, Any]) -> str:
    """'text: message' from one pydantic error (errors of the whole body have no field)."""
    if tuple(problem.get("loc", ())) == ("body",) and problem.get("type") in (
            "model_attributes_type", "dict_type", "missing"):
        return NOT_AN_OBJECT
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
    message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message

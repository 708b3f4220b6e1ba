"""The HTML report: highlights at the right offsets, checked in the markup and in a real browser."""

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import pytest

from sourcetrace.output import html as html_report


class _Collect(HTMLParser):
    """Text inside each highlighted quote, joined across the pieces a paragraph break makes."""

    def __init__(self):
        super().__init__()
        self.stack, self.quotes, self.scripts = [], {}, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(attrs.get("data-quote") if tag == "span" else None)
        self.scripts += tag in ("script", "link", "img", "iframe")

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for q in {q for q in self.stack if q}:
            self.quotes[q] = self.quotes.get(q, "") + data


def test_every_quote_is_highlighted_with_its_exact_text(seed_doc):
    page = html_report.render(seed_doc)
    parser = _Collect()
    parser.feed(page)
    assert parser.scripts == 0  # static: nothing loaded, nothing run
    for q in seed_doc.quotes:
        assert parser.quotes[q.id].replace("\n", "") == q.span.text.replace("\n", ""), q.id
    assert 'class="scare"' in page and "‘liberate’" in page


def _png_pixels(path):
    """(width, height, rows of RGBA bytes) from a non-interlaced 8-bit RGBA/RGB PNG."""
    data = open(path, "rb").read()
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            channels = {6: 4, 2: 3}[colour]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def _highlight_pixels(path, colours):
    width, height, channels, rows = _png_pixels(path)
    wanted = {bytes.fromhex(c.lstrip("#")) for c in colours}
    return sum(1 for row in rows for x in range(0, width * channels, channels) if row[x:x + 3] in wanted)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_screenshot_shows_the_highlights(seed_doc, tmp_path):
    def shoot(page_html, name):
        page = tmp_path / f"{name}.html"
        page.write_text(page_html, encoding="utf-8")
        png = tmp_path / f"{name}.png"
        env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path), TMPDIR=str(tmp_path))
        run = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
             "--hide-scrollbars", f"--screenshot={png}", "--window-size=1200,1400", page.as_uri()],
            capture_output=True, text=True, timeout=120, env=env)
        assert png.exists(), run.stderr[-2000:]
        assert "Uncaught" not in run.stderr and "CONSOLE" not in run.stderr
        return png

    colours = html_report.PALETTE
    with_highlights = _highlight_pixels(shoot(html_report.render(seed_doc), "report"), colours)
    no_quotes = seed_doc.evolve(quotes=(), sources=())
    without = _highlight_pixels(shoot(html_report.render(no_quotes), "plain"), colours)
    assert with_highlights > 20_000  # the seed's quotes cover a good part of the page
    assert without < with_highlights / 20

"""The page at `/`, end to end in headless Chromium (selenium + Debian's chromedriver).

Nothing is downloaded: the driver is the system's chromedriver, given by path, so Selenium Manager
never runs; Chromium's background networking is off and the server is on loopback.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PAGES = Path(__file__).resolve().parents[1] / "gold" / "html"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)")


@pytest.fixture(scope="module")
def server():
    """`sourcetrace serve`'s app under uvicorn in a thread, on a free loopback port."""
    import uvicorn

    from sourcetrace.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(30)


@pytest.fixture
def browser(tmp_path, monkeypatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    isolated = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
                "TMPDIR": str(tmp_path), "SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
    for name, value in isolated.items():
        monkeypatch.setenv(name, value)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                "--no-proxy-server", "--window-size=1280,1600", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "downloads"),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def analyse_in_page(driver, base: str, *, text: str | None = None, file: Path | None = None) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/")
    if text is not None:
        # As a paste does: the whole text at once, then an input event.
        driver.execute_script("const t = document.getElementById('text'); t.value = arguments[0];"
                              "t.dispatchEvent(new Event('input', {bubbles: true}));", text)
    if file is not None:
        driver.find_element(By.ID, "file").send_keys(str(file))
    driver.find_element(By.ID, "analyse").click()
    WebDriverWait(driver, 60).until(EC.visibility_of_element_located((By.ID, "result")))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "const f = document.getElementById('report').contentDocument;"
        "return f && f.readyState === 'complete' && f.getElementById('article') !== null;"))


def highlighted_quotes(driver) -> dict[str, str]:
    """Quote id -> the text highlighted for it in the report frame (pieces joined in page order)."""
    driver.switch_to.frame("report")
    try:
        pieces = driver.execute_script(
            "return Array.from(document.querySelectorAll('#article span.quote'))"
            ".map(s => [s.dataset.quote, s.textContent]);")
    finally:
        driver.switch_to.default_content()
    quotes: dict[str, str] = {}
    for quote_id, text in pieces:
        quotes[quote_id] = quotes.get(quote_id, "") + text
    return quotes


def listed_sources(driver) -> list[tuple[str, str]]:
    driver.switch_to.frame("report")
    try:
        return [tuple(row) for row in driver.execute_script(
            "return Array.from(document.querySelectorAll('#sources tr.legend'))"
            ".map(r => [r.cells[0].textContent, r.cells[1].textContent]);")]
    finally:
        driver.switch_to.default_content()


def severe_console_entries(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def flat(text: str) -> str:
    return text.replace("\n", "")  # a paragraph break closes a highlight and reopens it after


def test_pasted_article_is_highlighted_like_the_api_says(server, browser, seed_text, tmp_path):
    from selenium.webdriver.common.by import By

    want = httpx.post(f"{server}/api/analyze", json={"text": seed_text}, timeout=60, trust_env=False).json()
    analyse_in_page(browser, server, text=seed_text)

    shown = highlighted_quotes(browser)
    assert len(shown) == len(want["quotes"]) >= 5
    for q in want["quotes"]:
        assert flat(shown[q["id"]]) == flat(q["text"]), q["id"]
    assert listed_sources(browser) == [(s["name"], s["type"].replace("_", " ")) for s in want["sources"]]
    browser.switch_to.frame("report")
    flags = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#flags li")]
    browser.switch_to.default_content()
    assert flags and flags != ["none found"]
    assert f"{len(want['quotes'])} quotes" in browser.find_element(By.ID, "summary").text

    link = browser.find_element(By.ID, "download")
    assert link.get_attribute("href").startswith("blob:") and link.get_attribute("download").endswith(".json")
    link.click()
    saved = tmp_path / "downloads" / link.get_attribute("download")
    deadline = time.monotonic() + 30
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert json.loads(saved.read_text(encoding="utf-8")) == want

    assert severe_console_entries(browser) == []
    shot = tmp_path / "sourcetrace-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_uploaded_web_page_is_analysed(server, browser):
    page = PAGES / "page01.html"
    want = httpx.post(f"{server}/api/analyze", json={"html": page.read_text(encoding="utf-8")},
                      timeout=60, trust_env=False).json()
    analyse_in_page(browser, server, file=page)
    shown = highlighted_quotes(browser)
    assert sorted(shown) == sorted(q["id"] for q in want["quotes"])
    assert listed_sources(browser) == [(s["name"], s["type"].replace("_", " ")) for s in want["sources"]]
    assert severe_console_entries(browser) == []


def test_errors_are_shown_on_the_page(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    browser.find_element(By.ID, "analyse").click()
    error = browser.find_element(By.ID, "error")
    WebDriverWait(browser, 10).until(lambda d: error.is_displayed())
    assert "Paste an article" in error.text

    menu = tmp_path / "menu.html"
    menu.write_text("<html><head><title>Home</title></head><body><nav>Home News Sport</nav></body></html>",
                    encoding="utf-8")
    browser.find_element(By.ID, "file").send_keys(str(menu))
    browser.find_element(By.ID, "analyse").click()
    WebDriverWait(browser, 30).until(lambda d: "no article text found" in error.text)
    assert not browser.find_element(By.ID, "result").is_displayed()
    # The 422 itself is logged by Chromium as a failed resource; nothing else may be.
    assert all("422" in e["message"] for e in severe_console_entries(browser))

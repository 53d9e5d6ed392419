"""The web app in a real headless browser: Debian's chromium driven by Selenium through
chromium-driver, against the real server (tests/served.py). It asks in English and Korean,
sees the answers stream in with sources and evidence, opens a source, uploads a file and
asks about it, and checks that the page requested nothing outside 127.0.0.1.

With DOCENT_SCREENSHOT=1 it also saves docs/screenshot.png (the README shows it).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers import ROOT
from tests.served import API_KEY, Served

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--window-size=1400,900"]
WAIT_S = 60
LEAVE = "How many days of paid annual leave do full-time employees get?"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        reason = "no chromium/chromedriver (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition)


def _ask(driver: Any, question: str) -> Any:
    """Ask through the form; the finished turn, once its answer has streamed in."""
    from selenium.webdriver.common.by import By

    turns = len(driver.find_elements(By.CSS_SELECTOR, ".turn"))
    driver.execute_script("""
        window.updates = 0;
        new MutationObserver((records) => { window.updates += records.length; }).observe(
            document.getElementById('messages'), {childList: true, subtree: true,
                                                  characterData: true});""")
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    driver.find_element(By.ID, "ask-button").click()
    done = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".turn.done")[turns:])
    return done[0]


def _network_log(driver: Any) -> tuple[set[str], dict[str, tuple[int, str]]]:
    """Every URL the browser requested (the Chrome DevTools network log and the page's own
    performance entries), and each response's status and MIME type by URL."""
    urls, responses = set(), {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            urls.add(params.get("request", params).get("url", ""))
        elif message["method"] == "Network.responseReceived":
            response = params["response"]
            responses[response["url"]] = (response["status"], response["mimeType"])
    urls |= set(driver.execute_script(
        "return performance.getEntries().map(e => e.name).filter(n => n.includes(':'))"))
    return urls, responses


def test_ask_open_sources_upload_and_nothing_leaves_the_machine(
        browser: Any, docent_server: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{docent_server.url}/login")
    driver.find_element(By.NAME, "key").send_keys(API_KEY)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#documents li"))
    assert driver.find_element(By.ID, "status").get_attribute("hidden") is not None

    english = _ask(driver, LEAVE)
    assert driver.execute_script("return window.updates") > 5  # token by token
    answer = english.find_element(By.CSS_SELECTOR, ".answer")
    assert "18 days of paid annual leave" in answer.text
    assert "refusal" not in answer.get_attribute("class")
    assert "18 days of paid annual leave" in english.find_element(
        By.CSS_SELECTOR, ".evidence blockquote").text
    source = english.find_element(By.CSS_SELECTOR, ".sources button.source")
    assert "handbook.pdf, page 2" in source.text

    source.click()
    _wait(driver, lambda d: "18 days" in d.find_element(By.ID, "viewer-passage").text)
    page = driver.find_element(By.ID, "viewer-page")
    assert page.is_displayed() and page.get_attribute("src").endswith("#page=2")

    korean = _ask(driver, "매장은 주말에 몇 시까지 영업하나요?")
    assert "오후 6시까지 영업합니다" in korean.find_element(By.CSS_SELECTOR, ".evidence").text
    assert "store-guide-ko.md" in korean.find_element(By.CSS_SELECTOR, ".sources").text
    if os.environ.get("DOCENT_SCREENSHOT"):
        driver.save_screenshot(str(ROOT / "docs" / "screenshot.png"))

    refused = _ask(driver, "What is the capital of Mongolia?")
    assert "refusal" in refused.find_element(By.CSS_SELECTOR, ".answer").get_attribute("class")

    note = tmp_path / "mascot.md"
    note.write_text("# Mascot\n\nThe quokka mascot of the roastery is named Pebble.\n")
    driver.find_element(By.ID, "upload-input").send_keys(str(note))
    _wait(driver, lambda d: "added 1" in d.find_element(By.ID, "ingest-report").text)
    _wait(driver, lambda d: "mascot.md" in d.find_element(By.ID, "documents").text)
    uploaded = _ask(driver, "What is the quokka mascot called?")
    assert "mascot.md" in uploaded.find_element(By.CSS_SELECTOR, ".sources").text
    assert "named Pebble" in uploaded.find_element(By.CSS_SELECTOR, ".evidence").text

    listed = driver.find_element(By.ID, "conversations").text
    assert LEAVE in listed

    [mascot] = [item for item in driver.find_elements(By.CSS_SELECTOR, "#documents li")
                if "mascot.md" in item.text]
    mascot.find_element(By.CSS_SELECTOR, "button.remove").click()
    driver.switch_to.alert.accept()  # the list is drawn anew: `mascot` is stale from here
    _wait(driver, lambda d: "mascot.md" not in d.find_element(By.ID, "documents").text)

    driver.refresh()  # a new page: the conversation comes back from the checkpointer
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#conversations li"))
    driver.find_element(By.CSS_SELECTOR, "#conversations li").click()
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turn.done")) == 4)
    first, _, third, _ = driver.find_elements(By.CSS_SELECTOR, ".turn")
    assert "18 days of paid annual leave" in first.find_element(By.CSS_SELECTOR, ".evidence").text
    assert "handbook.pdf, page 2" in first.find_element(By.CSS_SELECTOR, ".sources").text
    assert "refusal" in third.find_element(By.CSS_SELECTOR, ".answer").get_attribute("class")

    urls, responses = _network_log(driver)
    [pdf] = [response for url, response in responses.items() if "/api/sources/file" in url]
    assert pdf == (200, "application/pdf")  # the page of the PDF was shown
    outside = {url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")
               and urlsplit(url).hostname != "127.0.0.1"}
    assert not outside

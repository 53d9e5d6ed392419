"""The web app in a real headless browser: Debian's chromium driven by Selenium through
chromium-driver, against the real server (tests/served.py). It asks in English and Korean,
sees the answers stream in with sources and evidence, opens a source, uploads a file and
asks about it, and checks that the page requested nothing outside 127.0.0.1; on a 390 px
phone screen it checks the layout, the keyboard and that the newest answer stays in view;
and the key form.

With SAVE_SCREENSHOTS=1 it also saves docs/screenshot.png and docs/screenshot-phone.png
(the README and docs/serving.md show them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
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
WEEKEND = "매장은 주말에 몇 시까지 영업하나요?"
PHONE_PX = 390
ROASTER_QUESTION = "How many kilograms of green beans does the drum roaster hold?"


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
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition)


def _login(driver: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login")
    driver.find_element(By.NAME, "key").send_keys(API_KEY)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#documents li"))


def _finished(driver: Any, send: Any) -> Any:
    """The turn `send()` starts, once its answer has streamed in."""
    from selenium.webdriver.common.by import By

    turns = len(driver.find_elements(By.CSS_SELECTOR, ".turn"))
    send()
    return _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".turn.done")[turns:])[0]


def _ask(driver: Any, question: str) -> Any:
    """Ask through the form; the finished turn, once its answer has streamed in."""
    from selenium.webdriver.common.by import By

    driver.execute_script("""
        window.updates = 0;
        new MutationObserver((records) => { window.updates += records.length; }).observe(
            document.getElementById('messages'), {childList: true, subtree: true,
                                                  characterData: true});""")
    driver.find_element(By.ID, "question").send_keys(question)
    return _finished(driver, driver.find_element(By.ID, "ask-button").click)


def _unnamed_controls(driver: Any) -> list[str]:
    """The buttons and fields a screen reader would announce without a name."""
    return list(driver.execute_script("""
        return Array.from(document.querySelectorAll('button, input, select, textarea'))
          .filter((c) => !(c.getAttribute('aria-label') || c.textContent.trim()
                           || (c.labels && c.labels.length)))
          .map((c) => c.outerHTML);"""))


def _refused_by_csp(driver: Any) -> list[str]:
    """What the page's Content-Security-Policy blocked (inline script or style) since the
    last call."""
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"]]


def _screenshot(driver: Any, name: str) -> None:
    # not a DOCENT_ variable: docent warns about those it does not know
    if os.environ.get("SAVE_SCREENSHOTS"):
        driver.save_screenshot(str(ROOT / "docs" / name))


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
    _login(driver, docent_server.url)
    assert driver.find_element(By.ID, "status").get_attribute("hidden") is not None
    documents = driver.find_element(By.ID, "sidebar").text
    assert "(5 files, 11 chunks)" in documents and re.search(r"\b1 chunk\b", documents)
    assert not re.search(r"\b1 (chunk|file)s\b", documents)

    assert _unnamed_controls(driver) == []
    english = _ask(driver, LEAVE)
    assert driver.execute_script("return window.updates") > 5  # token by token
    answer = english.find_element(By.CSS_SELECTOR, ".answer")
    assert "18 days of paid annual leave" in answer.text
    assert "refusal" not in answer.get_attribute("class")
    cite = answer.find_element(By.CSS_SELECTOR, "button.cite")  # [1] opens source 1
    assert cite.text == "[1]" and "handbook.pdf, page 2" in cite.get_attribute("aria-label")
    assert "18 days of paid annual leave" in english.find_element(
        By.CSS_SELECTOR, ".evidence blockquote").text
    source = english.find_element(By.CSS_SELECTOR, ".sources button.source")
    assert "handbook.pdf, page 2" in source.text

    source.click()
    _wait(driver, lambda d: "18 days" in d.find_element(By.ID, "viewer-passage").text)
    page = driver.find_element(By.ID, "viewer-page")
    assert page.is_displayed() and page.get_attribute("src").endswith("#page=2")

    korean = _ask(driver, WEEKEND)
    assert "오후 6시까지 영업합니다" in korean.find_element(By.CSS_SELECTOR, ".evidence").text
    assert "store-guide-ko.md" in korean.find_element(By.CSS_SELECTOR, ".sources").text
    _screenshot(driver, "screenshot.png")

    refused = _ask(driver, "What is the capital of Mongolia?")
    assert "refusal" in refused.find_element(By.CSS_SELECTOR, ".answer").get_attribute("class")

    note = tmp_path / "mascot.md"
    note.write_text("# Mascot\n\nThe quokka mascot of the roastery is named Pebble.\n")
    driver.find_element(By.ID, "upload-input").send_keys(str(note))
    _wait(driver, lambda d: "1 file read: 1 chunk added" in d.find_element(
        By.ID, "ingest-report").text)
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
    assert "Removed mascot.md (1 chunk)." in driver.find_element(By.ID, "ingest-report").text

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
    assert _refused_by_csp(driver) == []


def _phone(driver: Any) -> None:
    """A 390 px wide phone screen (an iPhone 14's CSS pixels), as a phone renders it."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE_PX, "height": 844, "deviceScaleFactor": 2, "mobile": True})


def _page_width(driver: Any) -> int:
    return int(driver.execute_script("return document.documentElement.scrollWidth"))


def _newest_in_view(driver: Any) -> bool:
    return bool(driver.execute_script("""
        const box = document.getElementById('messages').getBoundingClientRect();
        const turn = document.querySelector('#turns .turn:last-child').getBoundingClientRect();
        return turn.bottom <= box.bottom + 1 && turn.bottom > box.top;"""))


def _split_words(element: Any) -> list[str]:
    """The words of `element`'s text that a line break cuts in two."""
    return list(element.parent.execute_script("""
        const split = [];
        const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const word of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
            if (lines.size > 1) split.push(word[0]);
          }
        }
        return split;""", element))


def test_a_phone_screen_keyboard_and_following_the_newest_answer(
        browser: Any, docent_server: Served) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    _phone(driver)
    _login(driver, docent_server.url)
    assert _page_width(driver) <= PHONE_PX
    sidebar = driver.find_element(By.ID, "sidebar")
    assert not sidebar.is_displayed()  # a drawer behind the menu button
    menu = driver.find_element(By.ID, "menu-open")
    menu.click()
    # slid in: Selenium reads only the text on the screen
    _wait(driver, lambda d: "handbook.pdf" in d.find_element(By.ID, "documents").text)
    assert menu.get_attribute("aria-expanded") == "true"
    assert driver.execute_script("return document.querySelector('main').inert")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    _wait(driver, lambda d: not sidebar.is_displayed())
    assert driver.switch_to.active_element == menu

    empty = driver.find_element(By.ID, "empty")
    assert empty.is_displayed()
    examples = empty.find_elements(By.CSS_SELECTOR, "#examples button")
    assert len(examples) == 4 and any(re.search("[가-힣]", b.text) for b in examples)
    asked = examples[0].text
    first = _finished(driver, examples[0].click)
    assert first.find_element(By.CSS_SELECTOR, ".question").text == asked
    assert not empty.is_displayed()

    box = driver.find_element(By.ID, "question")
    box.send_keys("How many days of", Keys.SHIFT, Keys.ENTER, Keys.NULL, "paid annual leave?")
    assert box.get_attribute("value") == "How many days of\npaid annual leave?"
    driver.execute_script("""arguments[0].dispatchEvent(new KeyboardEvent('keydown',
        {key: 'Enter', isComposing: true, bubbles: true}));""", box)  # a Korean IME syllable
    assert len(driver.find_elements(By.CSS_SELECTOR, ".turn")) == 1
    english = _finished(driver, lambda: box.send_keys(Keys.ENTER))
    assert english.find_element(By.CSS_SELECTOR, ".question").text == (
        "How many days of\npaid annual leave?")  # as typed, not as the server rewrote it
    assert "18 days of paid annual leave" in english.find_element(By.CSS_SELECTOR, ".answer").text

    korean = _ask(driver, WEEKEND)
    assert "오후 6시까지 영업합니다" in korean.find_element(By.CSS_SELECTOR, ".answer").text
    assert korean.get_attribute("lang") == "ko"
    for part in (".answer", ".evidence"):
        assert _split_words(korean.find_element(By.CSS_SELECTOR, part)) == []
    assert _page_width(driver) <= PHONE_PX
    _screenshot(driver, "screenshot-phone.png")

    cite = korean.find_element(By.CSS_SELECTOR, ".answer button.cite")
    cite.click()  # the source covers the chat; Escape gives the focus back to the citation
    viewer = driver.find_element(By.ID, "viewer")
    _wait(driver, lambda d: "store-guide-ko.md" in viewer.text)
    assert viewer.rect["width"] == PHONE_PX and driver.switch_to.active_element == (
        driver.find_element(By.ID, "viewer-close"))
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    _wait(driver, lambda d: not viewer.is_displayed())
    assert driver.switch_to.active_element == cite

    long_path = "/srv/" + "very-long-folder-name/" * 12 + "report.pdf"
    for question in (long_path, "What is the capital of Mongolia?", ROASTER_QUESTION):
        _ask(driver, question)
    followup = _ask(driver, "Who cleans it?")
    understood = "Understood as: Who cleans the drum roaster?"
    assert followup.find_element(By.CSS_SELECTOR, ".understood").text == understood
    assert len(driver.find_elements(By.CSS_SELECTOR, ".turn")) == 7
    assert _newest_in_view(driver)
    assert _page_width(driver) <= PHONE_PX

    # scrolled up to read: the next answer does not pull the page down
    def scroll_up_and_ask() -> None:
        driver.execute_script("""
            const box = document.getElementById('messages');
            document.getElementById('question').value = arguments[0];
            document.getElementById('ask-form').requestSubmit();
            box.scrollTop = 0;
            box.dispatchEvent(new Event('scroll'));""", LEAVE)

    _finished(driver, scroll_up_and_ask)
    assert driver.execute_script("return document.getElementById('messages').scrollTop") == 0

    driver.refresh()  # reopened: the questions as typed, the follow-up as it was understood
    menu = _wait(driver, lambda d: d.find_element(By.ID, "menu-open"))
    menu.click()
    _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#conversations li").is_displayed())
    driver.find_element(By.CSS_SELECTOR, "#conversations li button").click()
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turn.done")) == 8)
    reopened = driver.find_elements(By.CSS_SELECTOR, ".turn")
    assert reopened[1].find_element(By.CSS_SELECTOR, ".question").text == (
        "How many days of\npaid annual leave?")
    assert reopened[6].find_element(By.CSS_SELECTOR, ".understood").text == understood
    assert _newest_in_view(driver) and driver.switch_to.active_element == menu


def test_the_key_form_is_styled_and_a_wrong_key_says_so(browser: Any,
                                                         docent_server: Served) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{docent_server.url}/")  # no key yet: the form
    form = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "form[action='/login']"))[0]
    assert form.value_of_css_property("border-radius") == "10px"  # login.css was served
    driver.find_element(By.NAME, "key").send_keys("not-the-key")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "p.error[role=alert]"))[0]
    assert "That key is not right" in error.text
    assert _refused_by_csp(driver) == []
    assert driver.find_element(By.CSS_SELECTOR, "form").value_of_css_property(
        "border-radius") == "10px"
    _login(driver, docent_server.url)
    assert driver.find_element(By.ID, "empty").is_displayed()


def test_notes_and_a_refused_question_read_as_sentences(browser: Any,
                                                        docent_server: Served) -> None:
    """The page's own rendering of a result that carries notes (the fake model's answers
    carry none) and of streamed text that the result then confirms; and a question the
    server refuses, answered in one line."""
    from selenium.webdriver.common.by import By

    driver = browser
    _login(driver, docent_server.url)
    driver.execute_script("""
        const { turn, answer } = addTurn('Wie viele Urlaubstage?');
        turn.classList.add('done');
        answer.append('Full-time employees get ', '18 days [1].');
        showResult(turn, answer, {answer: 'Full-time employees get 18 days [1].',
          answer_kind: 'evidence', refused: false, question: 'Wie viele Urlaubstage?',
          evidence: [], sources: [{source: '/d/handbook.pdf', locator: 'page 2', page: 2}],
          warnings: ['not shown as the answer: it names no figure; quoting the documents']});""")
    turn = driver.find_element(By.CSS_SELECTOR, "#turns .turn")
    assert turn.find_element(By.CSS_SELECTOR, ".answer").text == (
        "Full-time employees get 18 days [1].")
    notes = turn.find_element(By.CSS_SELECTOR, "ul.notes")
    assert notes.get_attribute("aria-label") == "About this answer"
    assert notes.text == ("Not shown as the answer: it names no figure; quoting the documents.")
    assert not turn.find_elements(By.CSS_SELECTOR, ".understood")

    too_long = " ".join(["why"] * 2000)

    def ask_too_long() -> None:
        driver.execute_script("""document.getElementById('question').value = arguments[0];
            document.getElementById('ask-form').requestSubmit();""", too_long)

    refused = _finished(driver, ask_too_long).find_element(By.CSS_SELECTOR, ".answer")
    reason = httpx.post(f"{docent_server.url}/api/conversations/web-too-long/ask",
                        json={"question": too_long},
                        headers={"authorization": f"Bearer {API_KEY}"}).json()["error"]["message"]
    assert "error" in refused.get_attribute("class") and refused.text == reason
    assert "\n" not in reason

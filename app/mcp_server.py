"""`docent mcp`: docent as a Model Context Protocol server on stdio (the official `mcp`
SDK), with two tools: search_documents (passages) and ask_documents (the graph's answer)."""

from __future__ import annotations

from typing import Any

from core.resources import Resources


def search(resources: Resources, query: str, k: int) -> list[dict[str, Any]]:
    """The passages retrieval ranks first for `query` (fused dense and BM25), with source,
    where in it (page, slide, sheet or section; `locator` as shown) and score: what the
    graph's retrieve step finds, before selection."""
    from graphs.context import Context
    from graphs.options import run_resources
    from graphs.references import location
    from graphs.retrieval import hybrid_search

    run, opts = run_resources(Context(resources=resources))
    found = hybrid_search(run.store(), run.keyword_index(), query, opts)[:k]
    return [{"text": doc.page_content, "source": doc.metadata.get("source"),
             **location(doc.metadata), "chunk_id": doc.id,
             "score": doc.metadata.get("score")} for doc in found]


def build_server(resources: Resources) -> Any:
    from mcp.server.mcpserver import MCPServer

    from app.ask import ask
    from app.server.answer_format import docent_field
    from graphs.context import Context

    server = MCPServer("docent", instructions="Search and ask the user's own documents, "
                     "indexed locally by docent. Answers quote their evidence.")

    @server.tool()
    def search_documents(query: str, k: int = 4) -> list[dict[str, Any]]:
        """Passages of the user's documents that match `query`, best first, each with its
        source file, where in it (page, slide, sheet or section) and score."""
        return search(resources, query, max(1, min(k, 50)))

    @server.tool()
    def ask_documents(question: str) -> dict[str, Any]:
        """Answer `question` from the user's documents: the answer, the evidence quoted
        from them and the sources; `refused` is true when the documents do not say."""
        return docent_field(ask(question, Context(resources=resources)))

    return server


def serve_stdio(resources: Resources) -> int:
    build_server(resources).run("stdio")
    return 0

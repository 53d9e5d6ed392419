"""LangGraph graphs: the RAG graph (retrieve → rerank → generate)."""

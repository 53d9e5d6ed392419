"""LangGraph graphs: RAG (retrieve → select → generate | refuse), chat and the indexer."""

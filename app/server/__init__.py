"""`docent serve`: the web app, an OpenAI-compatible API and the documents API on one
local HTTP server (FastAPI + uvicorn, imported only when serving)."""

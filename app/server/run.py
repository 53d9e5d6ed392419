"""`docent serve`: the app on uvicorn, bound to 127.0.0.1 unless another address is asked."""

from __future__ import annotations

from core.resources import Resources

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(resources: Resources, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    import uvicorn

    from app.remote_ask import announced
    from app.server.factory import create_app
    from app.server.security import allowed_hosts

    app = create_app(resources, allowed_hosts=allowed_hosts(host))
    shown = f"[{host}]" if ":" in host else host
    print(f"docent: serving on http://{shown}:{port}/ (OpenAI API: http://{shown}:{port}/v1, "
          f"model 'docent'){'; API key required' if resources.settings.api_key else ''}",
          flush=True)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    with announced(resources.settings.data_dir, f"http://{local}:{port}"):  # for `docent ask`
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                    proxy_headers=False)
    return 0

"""``g40cal serve``: serve the published feeds and pages for local use and small sites."""

from __future__ import annotations

import logging
import sys

import click

from g40cal.cli import AppContext, cli, handle_errors, pass_app
from g40cal.errors import UserError


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@pass_app
@handle_errors
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve feeds/ at / and personal feeds at /p/<token>.ics (and .html).

    \b
    Feeds are served as text/calendar, never compressed, with ETag and
    Last-Modified; pages are gzipped. Behind a real web server or a static
    host instead? See docs/serving.md.
    """
    import uvicorn

    from g40cal.web.serve import create_app

    config = app.config
    if not (config.feeds_path / "index.json").is_file():
        raise UserError(f"{config.feeds_path}: nothing published yet; run g40cal sync first")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    click.echo(f"Serving {config.feeds_path} on http://{host}:{port}/ "
               f"(public URLs in the feeds use {config.base_url})", err=True)
    # uvicorn's own access log prints full paths, personal tokens included: ours shortens them.
    uvicorn.run(create_app(config), host=host, port=port, access_log=False,
                server_header=False, log_level="info")

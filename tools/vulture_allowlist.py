"""Names vulture cannot see used: read by frameworks through reflection."""

from systok.cli.api import worker_app

worker_app  # noqa: B018 - uvicorn imports "systok.cli.api:worker_app" by name (systok serve --workers N)

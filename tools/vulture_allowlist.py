"""Names vulture cannot see used: read by frameworks through reflection."""

import psycopg
from fpdf.fonts import TTFFont

from systok.cli.api import worker_app
from systok.config import Settings
from systok.core.language import Language
from systok.ledger.sql import render
from systok.observability.collector import DatabaseCollector
from systok.observability.logs import TextFormatter
from systok.payout.chain import batch_instructions
from systok.payout.wire import batch_size


def _font_state(font: TTFFont) -> tuple[object, ...]:
    return font.missing_glyphs, font.biggest_size_pt, font.subset


def _driver_state(connection: psycopg.Connection) -> object:
    return connection.autocommit  # the driver reads it (economy.repository.transfer_call)


(
    Settings.settings_customise_sources,  # pydantic-settings asks it for the sources
    DatabaseCollector.describe,  # prometheus_client's registry, when the collector registers
    DatabaseCollector.collect,  # prometheus_client's registry, on every scrape
    TextFormatter.formatTime,  # logging.Formatter.format
    render,  # the migrations render the ledger's SQL files (vulture skips migrations)
    Language.EN,  # chosen by typer (--lang en) and FastAPI (?lang=en) from its value
    _driver_state,  # psycopg, when it runs a statement
    _font_state,  # fpdf2 reads a font's state at output (pdf.register_font sets it)
    batch_instructions,  # the readable form tests/payout/test_wire.py checks payout.wire against
    batch_size,  # a batch's size at once: the tests compare it with len(bytes)
    worker_app,  # uvicorn imports "systok.cli.api:worker_app" by name (serve --workers N)
)

"""Names vulture cannot see used: read by frameworks through reflection."""

from systok.config import Settings
from systok.observability.collector import DatabaseCollector
from systok.observability.logs import TextFormatter

FRAMEWORK_HOOKS = (
    Settings.settings_customise_sources,  # pydantic-settings asks it for the sources
    DatabaseCollector.describe,  # prometheus_client's registry, when the collector registers
    DatabaseCollector.collect,  # prometheus_client's registry, on every scrape
    TextFormatter.formatTime,  # logging.Formatter.format
)

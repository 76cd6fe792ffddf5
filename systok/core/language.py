"""The one language type every member-facing text speaks: notifications, both PDFs.

One enum, so the CLI ``--lang`` option, the API ``lang`` query, the notification profile
and the documents all accept and write the same values (``"ru"``/``"en"``); being a
``StrEnum`` its members compare equal to those strings and serialise as them in JSON.
Russian is the default: the community (a school) speaks it.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """The languages texts are written in; Russian is the community's default."""

    RU = "ru"
    EN = "en"


DEFAULT_LANGUAGE = Language.RU

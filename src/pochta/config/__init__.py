"""The settings of ``pochta serve``: :class:`Settings`, and the values it is built from.

- :mod:`pochta.config.settings`: :class:`Settings`, one field per flag and ``POCHTA_*`` variable;
- :mod:`pochta.config.value`: :class:`HostPort` and the ``parse_*`` readers of text values;
- :mod:`pochta.config.check`: the checks that span fields, and a field's flag and variable names.
"""

from __future__ import annotations

from pochta.config.settings import DEFAULT_DATABASE, Settings, envvar_of, flag_of, parse_setting
from pochta.config.value import (
    HostPort,
    parse_count,
    parse_duration,
    parse_host_port,
    parse_path,
    parse_size,
)

__all__ = [
    "DEFAULT_DATABASE",
    "HostPort",
    "Settings",
    "envvar_of",
    "flag_of",
    "parse_count",
    "parse_duration",
    "parse_host_port",
    "parse_path",
    "parse_setting",
    "parse_size",
]

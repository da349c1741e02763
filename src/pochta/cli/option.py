"""``pochta serve``'s click options, one per :class:`~pochta.config.Settings` field.

A field's flag, environment variable, metavar, default and help all come from
its declaration in :mod:`pochta.config`; nothing here names a setting except
the ones whose shape is not one value (``allowed_host``, ``watch``, those given
once per value and flags).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from pochta.config import Settings, envvar_of, flag_of, parse_setting
from pochta.config.value import parse_location
from pochta.exceptions import ConfigurationError
from pochta.store.mailbox import MailboxGrant, MailboxRule

__all__ = ["LOCATION", "serve_options", "settings_from_options"]

F = TypeVar("F", bound=Callable[..., Any])


class _SettingType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3
    """Turn the text of a flag or variable into a field value, or fail with the fix."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ConfigurationError as error:
            self.fail(str(error), param, ctx)


#: Settings given once per value (``--mailbox-rule A --mailbox-rule B``): click type name, parser.
_SEVERAL: dict[str, tuple[str, Callable[[str], Any]]] = {
    "mailbox_rule": ("rule", MailboxRule.parse),
    "ui_mailbox": ("grant", MailboxGrant.parse),
}

#: The click type of every ``--database`` (and ``pochta serve``'s DATABASE): a file or a URL.
LOCATION = _SettingType("location", lambda text: parse_location(text, name="--database"))


def _option(spec: dataclasses.Field[Any]) -> Callable[[F], F]:
    meta = spec.metadata
    common: dict[str, Any] = {
        "envvar": envvar_of(spec.name),
        "show_envvar": True,
        "help": meta["help"],
        "default": None,
    }
    if spec.type == "bool":
        return click.option(flag_of(spec.name), is_flag=True, **common)
    if spec.name == "allowed_host":
        return click.option(flag_of(spec.name), multiple=True, metavar="NAME", **common)
    if spec.name in _SEVERAL:  # POCHTA_MAILBOX_RULE and the like take several, space-separated
        name, parse = _SEVERAL[spec.name]
        return click.option(
            flag_of(spec.name),
            multiple=True,
            type=_SettingType(name, parse),
            metavar=meta["metavar"],
            **common,
        )
    if spec.name == "watch":  # POCHTA_WATCH takes several folders separated by os.pathsep
        folder = click.Path(file_okay=False, path_type=Path)
        return click.option(
            flag_of(spec.name), multiple=True, type=folder, metavar="DIR", **common
        )
    kind = _SettingType(meta["metavar"].lower(), functools.partial(parse_setting, spec.name))
    if meta["shown"]:
        common.update(default=meta["shown"], show_default=True)
    return click.option(flag_of(spec.name), type=kind, metavar=meta["metavar"], **common)


def serve_options(command: F) -> F:
    """Add one click option per :class:`Settings` field to ``command``, in field order."""
    for spec in reversed(dataclasses.fields(Settings)):
        command = _option(spec)(command)
    return command


def settings_from_options(values: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from the values click parsed; unset ones keep their default."""
    given: dict[str, Any] = {}
    for spec in dataclasses.fields(Settings):
        value = values.get(spec.name)
        if spec.name == "allowed_host":
            names = [n.strip() for item in value or () for n in item.split(",")]
            given[spec.name] = tuple(n for n in names if n)
        elif value is not None and not (spec.type == "bool" and value is False):
            given[spec.name] = value
    return Settings(**given)

"""The settings of ``pochta serve``: parsing, validation and the generated options."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from pochta.cli.option import serve_options, settings_from_options
from pochta.config import (
    HostPort,
    Settings,
    parse_duration,
    parse_host_port,
    parse_setting,
    parse_size,
)
from pochta.exceptions import ConfigurationError


@click.command()
@serve_options
def _show(**values: Any) -> None:
    click.echo(repr(settings_from_options(values)))


def _settings(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(_show, args, env=env or {})
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_host_port_forms() -> None:
    assert [parse_host_port(t) for t in ("127.0.0.1:1025", "[::1]:0", "localhost:8025")] == [
        HostPort("127.0.0.1", 1025),
        HostPort("::1", 0),
        HostPort("localhost", 8025),
    ]
    assert str(HostPort("::1", 25)) == "[::1]:25"


@pytest.mark.parametrize("text", ["1025", ":1025", "host", "1.2.3.4:99999", "[zz]:25", "a:b"])
def test_bad_host_port_names_the_value_and_the_fix(text: str) -> None:
    with pytest.raises(ConfigurationError, match="give"):
        parse_host_port(text, name="--smtp")


def test_sizes_and_durations() -> None:
    assert [parse_size(t) for t in ("1024", "512K", "50M", "50MB", "1GiB")] == [
        1024,
        512 * 1024,
        50 * 1024**2,
        50 * 1024**2,
        1024**3,
    ]
    assert [parse_duration(t) for t in ("3d", "12h", "30m", "1d12h", "")] == [
        datetime.timedelta(days=3),
        datetime.timedelta(hours=12),
        datetime.timedelta(minutes=30),
        datetime.timedelta(days=1, hours=12),
        None,
    ]


@pytest.mark.parametrize("text", ["3x", "3", "d", "0h", "-1d", "1d x"])
def test_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match="--max-age"):
        parse_duration(text, name="--max-age")


@pytest.mark.parametrize("text", ["0", "-5", "5T", "lots"])
def test_bad_size_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match=r"e\.g\. 50M"):
        parse_size(text)


def test_flag_beats_environment_beats_default() -> None:
    env = {"POCHTA_MAX": "7", "POCHTA_SMTP": "127.0.0.1:2525", "POCHTA_TEMP": "1"}
    shown = _settings(["--max", "5"], env)
    assert "max=5," in shown
    assert "smtp=HostPort(host='127.0.0.1', port=2525)" in shown
    assert "temp=True" in shown
    assert "listen=HostPort(host='127.0.0.1', port=8025)" in shown


def test_allowed_hosts_repeat_or_comma_separated() -> None:
    shown = _settings(["--allowed-host", "a.test,b.test", "--allowed-host", "c.test"])
    assert "allowed_host=('a.test', 'b.test', 'c.test')" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max", "-1"], "--max '-1' is not a count; give 0 or a positive whole number"),
        (["--max-age", "3x"], "--max-age '3x' is not a duration"),
        (["--max-message-size", "0"], "must be more than 0 bytes"),
        (["--listen", "nowhere"], "--listen 'nowhere' is not HOST:PORT"),
    ],
)
def test_bad_flag_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(_show, args)
    assert result.exit_code == 2
    assert message in result.output


def test_contradictions_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="give both, or neither"):
        Settings(smtp_tls_cert=Path("cert.pem"))
    with pytest.raises(ConfigurationError, match="give one"):
        Settings(smtp_auth_file=Path("auth"), smtp_auth_accept_any=True)
    with pytest.raises(ConfigurationError, match="give 1 or more"):
        Settings(smtp_max_recipients=0)
    with pytest.raises(ConfigurationError, match="not a host name"):
        Settings(allowed_host=("evil.test/x",))


def test_every_setting_has_help_and_an_environment_variable() -> None:
    result = CliRunner().invoke(_show, ["--help"], terminal_width=200)
    for name in Settings.__dataclass_fields__:
        flag = "--" + name.replace("_", "-")
        assert flag in result.output
        assert "POCHTA_" + name.upper() in result.output


def test_defaults_shown_in_help_are_the_real_defaults() -> None:
    for spec in dataclasses.fields(Settings):
        shown = spec.metadata["shown"]
        if shown:
            assert parse_setting(spec.name, shown) == spec.default, spec.name


def test_a_setting_read_from_text_names_its_flag_in_errors() -> None:
    with pytest.raises(ConfigurationError, match=r"^--max-age 'soon' is not a duration; "):
        parse_setting("max_age", "soon")
    with pytest.raises(ConfigurationError, match=r"^--temp is not read from text"):
        parse_setting("temp", "yes")


def test_unset_options_give_the_dataclass_defaults() -> None:
    assert _settings([]) == repr(Settings())

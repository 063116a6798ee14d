from __future__ import annotations

import argparse

import pytest

from agora.client import app


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="agora")
    app.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_play_options_and_defaults() -> None:
    args = parse("play", "--code", "K7QF2M", "--name", "ada")
    assert (args.server, args.code, args.name, args.width, args.height) == (
        "ws://127.0.0.1:8000", "K7QF2M", "ada", 1280, 800,
    )
    assert args.func is app.run


def test_play_without_a_code_or_a_name_opens_the_lobby() -> None:
    args = parse("play", "--server", "ws://10.0.0.5:8000", "--name", "ada")
    assert (args.server, args.code, args.name) == ("ws://10.0.0.5:8000", None, "ada")
    assert "lobby" in app.__doc__


def test_a_malformed_server_address_is_refused_before_any_window(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("play", "--server", "ftp://example.org", "--code", "X", "--name", "ada")
    assert app.run(args) == 2
    assert "ws://127.0.0.1:8000" in capsys.readouterr().err


def test_the_facilitator_joins_with_a_token_instead_of_a_code(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("play", "--token", "F4C1L", "--name", "fran")
    assert (args.token, args.code) == ("F4C1L", None)
    with pytest.raises(SystemExit):
        parse("play", "--token", "F4C1L", "--code", "K7QF2M", "--name", "fran")
    assert "not allowed with argument" in capsys.readouterr().err

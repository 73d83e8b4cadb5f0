"""The command line's help: every subcommand's own --help works, every option says what it is
(with its default), and an argument error is one line and a pointer to --help."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from workstation.cli.main import build_parser, main


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    """(words, parser, its help in the parent's list) of the whole command tree."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from commands(sub, (*path, name))


TREE = list(commands(build_parser()))
SKIP = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def test_every_subcommand_and_option_has_help_with_its_default() -> None:
    missing = []
    for words, parser, summary in TREE:
        if not summary:
            missing.append(" ".join(words))
        for action in parser._actions:
            if isinstance(action, SKIP):
                continue
            name = "/".join(action.option_strings) or action.dest
            has_default = action.default not in (None, False, argparse.SUPPRESS)
            if not action.help or (has_default and "default" not in action.help):
                missing.append(f"{' '.join(words)} {name}")
    assert missing == []
    assert len(TREE) > 25  # the walk reaches the nested actions (positions add, keys set)


@pytest.mark.parametrize("words", [words for words, _, _ in TREE], ids=" ".join)
def test_every_subcommand_help_exits_0(words: tuple[str, ...], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0
    assert f"usage: workstation {' '.join(words)}" in capsys.readouterr().out


def _help(*words: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([*words, "--help"])
    return capsys.readouterr().out


def test_positions_lists_its_actions_and_nested_helps_are_their_own(capsys) -> None:
    text = _help("positions", capsys=capsys)
    for action in ("list", "add", "edit", "close", "import", "export", "risk"):
        assert f"\n    {action} " in text, action
    assert "the bracket table in use" in _help("brackets", "show", capsys=capsys)
    assert "--url" not in _help("brackets", "show", capsys=capsys)  # refresh's only
    assert "store an API key" in _help("keys", "set", capsys=capsys)
    rules = _help("gui", capsys=capsys).split("\n  --rules RULES")[1].split("\n  --")[0]
    assert "with --live" not in rules and "replay" in rules


def _error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    return capsys.readouterr().err


def test_an_argument_error_is_one_line_and_a_pointer_to_help(capsys) -> None:
    err = _error(["replay", "x.session", "--every", "inf"], capsys)
    assert err.splitlines() == [
        "workstation replay: error: argument --every: --every must be a finite number (got inf)",
        "(see `workstation replay --help`)",
    ]
    assert "usage:" not in _error(["positions"], capsys)
    assert "finite" in _error(["size", "--equity", "nan"], capsys)


def test_closing_a_missing_position_names_no_id_flag(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["positions", "--book", str(tmp_path / "b.db"), "close", "99", "--price", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "no position #99" in err and "--id" not in err
    assert "--help" in err

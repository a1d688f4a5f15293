"""The "Management commands" section of docs/django.md matches the code: one heading per command
in signed_api/management/commands/, and every argument and option its ``add_arguments``
declares, in its synopsis and in its table (and no option the command does not have)."""

from __future__ import annotations

import argparse
import re
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS_DIR = ROOT / "signed_api" / "management" / "commands"
COMMANDS = sorted(p.stem for p in COMMANDS_DIR.glob("signed_api_*.py"))
# What BaseCommand adds to every command; the section says so once instead of per command.
DJANGO_OPTIONS = {
    "-h", "--help", "--version", "-v", "--verbosity", "--settings", "--pythonpath",
    "--traceback", "--no-color", "--force-color", "--skip-checks",
}  # fmt: skip


def _section() -> str:
    text = (ROOT / "docs" / "django.md").read_text(encoding="utf-8")
    start = text.index("\n## Management commands\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _command_docs() -> dict[str, str]:
    parts = re.split(r"^### `([a-z_]+)`\n", _section(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _arguments(name: str) -> list[argparse.Action]:
    command = import_module(f"signed_api.management.commands.{name}").Command()
    parser = command.create_parser("manage.py", name)
    return [
        action for action in parser._actions
        if not (set(action.option_strings) & DJANGO_OPTIONS)
    ]  # fmt: skip


def _spelling(action: argparse.Action) -> str:
    """How the docs name it: ``--uses`` for an option, ``KEY_ID`` for a positional."""
    if action.option_strings:
        return max(action.option_strings, key=len)
    return action.metavar or action.dest.upper()


def test_every_command_is_documented_and_nothing_else():
    assert COMMANDS, "no management commands found"
    assert sorted(_command_docs()) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_argument_is_in_the_synopsis_and_the_table(name):
    doc = _command_docs()[name]
    synopsis = re.search(r"```text\n(.*?)```", doc, re.S).group(1)
    assert f"manage.py {name}" in synopsis
    table = {m.group(1) for m in re.finditer(r"^\| `([^` ]+)[^`]*` \|", doc, re.M)}
    declared = {_spelling(action) for action in _arguments(name)}
    for spelling in declared:
        assert re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", synopsis), (
            f"{spelling} missing from the synopsis of {name}"
        )
    assert table == declared, f"{name}: docs {sorted(table)}, code {sorted(declared)}"


@pytest.mark.parametrize("name", COMMANDS)
def test_synopsis_names_no_option_the_command_lacks(name):
    synopsis = re.search(r"```text\n(.*?)```", _command_docs()[name], re.S).group(1)
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", synopsis))
    declared = {s for a in _arguments(name) for s in a.option_strings}
    assert mentioned <= declared, sorted(mentioned - declared)


@pytest.mark.parametrize("name", COMMANDS)
def test_required_and_optional_as_the_parser_says(name):
    doc = _command_docs()[name]
    synopsis = re.search(r"```text\n(.*?)```", doc, re.S).group(1)
    for action in _arguments(name):
        spelling = _spelling(action)
        bracketed = re.search(rf"\[{re.escape(spelling)}(?![\w-])", synopsis) is not None
        required = action.required or not action.option_strings
        assert bracketed is not required, f"{name} {spelling}: required={required}"


# -- the docs are the project's own --------------------------------------------------------------
CITES_OUTSIDE = re.compile(r"DESIGN\.md|design (?:doc|document)\b|\.\./shared/", re.I)
SOURCES = [
    *sorted((ROOT / "signed_api").rglob("*.py")),
    *sorted((ROOT / "signed_api").rglob("*.html")),
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted((ROOT / "example_project").rglob("*.py")),
    ROOT / "README.md",
    ROOT / "SECURITY.md",
    ROOT / "pyproject.toml",
    ROOT / "mkdocs.yml",
    ROOT / "Makefile",
]


def test_no_comment_docstring_or_page_cites_a_document_outside_the_repository():
    cited = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        if path.exists()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CITES_OUTSIDE.search(line)
    ]
    assert cited == []


def _exists(name: str) -> bool:
    # A path is relative to signed_api/ or to the repository; a bare file name is one that
    # exists somewhere in the package (the table's row says which folder).
    if "/" in name:
        return (ROOT / "signed_api" / name).exists() or (ROOT / name).exists()
    return any((ROOT / "signed_api").rglob(name))


def test_architecture_page_names_files_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w./<>-]+\.(?:py|html))`", text))
    named = {n for n in named if "<" not in n}  # placeholders such as stores/<name>.py
    assert named, "the page names no file"
    assert sorted(n for n in named if not _exists(n)) == []

"""Colour only on a terminal, ``NO_COLOR`` and ``FORCE_COLOR`` honoured: checked on a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from conftest import FIXTURES, ROOT
from migcheck.report.text import use_color

pty = pytest.importorskip("pty", reason="pseudo-terminals need a POSIX system")

PROJECT = FIXTURES / "integrations"
ESC = "\x1b["


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    """A real terminal: the slave side of a pseudo-terminal."""
    master, slave = pty.openpty()
    stream = os.fdopen(slave, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_terminal_gets_colour_and_a_pipe_does_not(clean_env: pytest.MonkeyPatch, terminal: TextIO) -> None:
    assert use_color(terminal) is True
    assert use_color(io.StringIO()) is False


@pytest.mark.parametrize(
    ("env", "on_terminal", "on_pipe"),
    [
        ({"NO_COLOR": "1"}, False, False),
        ({"NO_COLOR": ""}, True, False),  # empty NO_COLOR does not count (no-color.org)
        ({"FORCE_COLOR": "1"}, True, True),
        ({"FORCE_COLOR": "0"}, True, False),  # FORCE_COLOR=0 does not force
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, False, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
    ],
)
def test_environment(
    clean_env: pytest.MonkeyPatch, terminal: TextIO, env: dict[str, str], on_terminal: bool, on_pipe: bool
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert (use_color(terminal), use_color(io.StringIO())) == (on_terminal, on_pipe)


def test_closed_stream_has_no_colour(clean_env: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    stream.close()
    assert use_color(stream) is False


def _lint(env: dict[str, str], on_terminal: bool, *args: str) -> str:
    """Run the real command in a subprocess, its stdout a pseudo-terminal or a pipe."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    full_env.update(env, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "migcheck", "lint", str(PROJECT), *args]
    if not on_terminal:
        return subprocess.run(cmd, env=full_env, capture_output=True, text=True, check=False).stdout
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, env=full_env, stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait()
    finally:
        os.close(master)
    return b"".join(chunks).decode()


def test_end_to_end_colour_on_a_terminal_only() -> None:
    on_terminal = _lint({}, True)
    assert f"{ESC}31;1mcreate-index-not-concurrently" in on_terminal
    assert ESC not in _lint({}, False)
    assert ESC not in _lint({"NO_COLOR": "1"}, True)
    assert "Found 2 errors" in _lint({"NO_COLOR": "1"}, True)
    assert f"{ESC}31;1m" in _lint({"FORCE_COLOR": "1"}, False)


def test_machine_formats_never_get_colour() -> None:
    for fmt in ("json", "sarif", "github", "markdown"):
        assert ESC not in _lint({"FORCE_COLOR": "1"}, True, "--format", fmt), fmt


def test_report_files_never_get_colour(tmp_path: Path) -> None:
    report = tmp_path / "lint.txt"
    _lint({"FORCE_COLOR": "1"}, True, "--format", f"text:{report}", "--format", "json")
    assert "create-index-not-concurrently" in report.read_text() and ESC not in report.read_text()

"""mypy --strict over the server and the client, as STYLE.md asks of CI.

The repository maps server/ and client/ onto the `agora` namespace at install time, which
mypy cannot follow through an editable install; a folder of links rebuilds the mapping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_mypy_strict_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy comes with the test extras: pip install -e '.[test]'")
    package = tmp_path / "agora"
    package.mkdir()
    for folder in ("server", "client", "worlds", "rules"):
        (package / folder).symlink_to(REPO / folder, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    stdout, stderr, status = api.run([
        "--strict", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
        "-p", "agora.server", "-p", "agora.client",
    ])
    assert status == 0, stdout + stderr

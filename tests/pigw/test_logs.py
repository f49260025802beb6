"""Log formats: text for people, one JSON object per line for shippers, extras in both."""

from __future__ import annotations

import json
import logging

import pytest

from pigw.logs import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_extras(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("debug", "json")
    logging.getLogger("pigw.test").warning("bad payload", extra={"topic": "pigw/a/b/state"})
    doc = json.loads(capsys.readouterr().err.strip())
    assert doc["level"] == "warning"
    assert doc["msg"] == "bad payload"
    assert doc["topic"] == "pigw/a/b/state"
    assert doc["logger"] == "pigw.test"


def test_text_lines_carry_extras_and_respect_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "text")
    log = logging.getLogger("pigw.test")
    log.info("hidden")
    log.error("shown", extra={"reason": "oversize"})
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert "ERROR pigw.test: shown reason='oversize'" in err

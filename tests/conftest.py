"""Shared fixtures (the plain helpers they use are in helpers.py).

Tests marked ``slow`` are left out by ``make test-fast``: every test that uses the
rendered sample (``sample_run``) is marked here, the others where they are defined.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

# Re-exported for tests that still import them from here; new code imports helpers.
from helpers import (  # noqa: F401
    EXAMPLE,
    EXPORT_HEADERS,
    HEADERS,
    REPO,
    SAMPLE_AREAS,
    SAMPLE_EPOCH,
    SAMPLE_KEY,
    SAMPLE_REPORT_YEAR,
    SAMPLE_YEARS,
    TIMES,
    copy_sample,
    mini_mapping,
    row,
    run_cycle,
    sample_env,
    write_export,
)


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items):
    # The rendered sample costs the better part of a minute (the whole yearly cycle and
    # four reports): whatever needs it is slow.
    for item in items:
        if "sample_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty workspace with config/trygghet.yml (the municipality only) and
    config/surveys/2020.yml = the mini mapping."""
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "trygghet.yml").write_text("municipality: Testkommun\n",
                                                      encoding="utf-8")
    (tmp_path / "config" / "surveys" / "2020.yml").write_text(
        yaml.safe_dump(mini_mapping(), allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch):
    # Tests never create a key file in the repository.
    monkeypatch.setenv("TRYGGHET_PSEUDONYM_KEY", "test-key-" + "0" * 32)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """Project root of the sample after :func:`run_cycle` (environment restored after)."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        run_cycle(root)
    return root

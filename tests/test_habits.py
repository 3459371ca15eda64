"""The repository's habits: declared dependencies, the lock, one version, clean notebooks.

These guard what makes a yearly report reproducible years later: every package
the code imports is declared in pyproject.toml (not merely pulled in by another
package, which may drop it), requirements.lock pins each of them at a version
the declaration allows, the environment in use is the locked one, conda's
environment.yml installs the same lock instead of keeping a list of its own,
the toolkit's version has one home, and committed notebooks carry no outputs.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import trygghet

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]
LOCK = REPO / "requirements.lock"


def declared(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def top_level_imports(path: Path) -> set[str]:
    """Absolute imports of a Python file, by top-level name (``a.b.c`` → ``a``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def undeclared(folder: str, allowed: set[str]) -> dict[str, str]:
    """Imports under ``folder`` that are neither the standard library, trygghet, a
    module of the folder itself, nor a distribution in ``allowed``: {place: why}."""
    distributions = metadata.packages_distributions()
    problems = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        local = {p.stem for p in path.parent.glob("*.py")} | {p.stem for p in
                                                              (REPO / "tests").glob("*.py")}
        for name in sorted(top_level_imports(path) - set(sys.stdlib_module_names)
                           - {"trygghet", "__future__"} - local):
            dists = {canonicalize_name(d) for d in distributions.get(name, [])}
            if not dists:
                problems[f"{path.relative_to(REPO)}: {name}"] = "no installed distribution"
            elif not dists & allowed:
                problems[f"{path.relative_to(REPO)}: {name}"] = f"comes from {sorted(dists)}, " \
                    "which pyproject.toml does not declare"
    return problems


# --- Every import is declared -------------------------------------------------------------------

def test_the_package_imports_only_its_declared_dependencies():
    assert undeclared("src", declared(RUNTIME)) == {}


@pytest.mark.parametrize("folder", ["tests", "benchmarks"])
def test_tests_and_benchmarks_import_only_declared_packages(folder):
    assert undeclared(folder, declared(RUNTIME) | declared(DEV)) == {}


def test_the_import_scan_sees_what_it_must():
    """The scan itself: a package that is imported but not declared is reported."""
    problems = undeclared("src", declared(RUNTIME) - {"beautifulsoup4", "cycler"})
    assert set(problems) == {"src/trygghet/render/html.py: bs4", "src/trygghet/theme.py: cycler"}


# --- The lock ----------------------------------------------------------------------------------

def locked() -> dict[str, tuple[Version, Marker | None]]:
    """requirements.lock as {name: (version, marker)}, the entries for this Python only."""
    pins = {}
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line.split(" --hash", 1)[0])
        if req.marker is not None and not req.marker.evaluate():
            continue
        (spec,) = req.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(req.name)] = (Version(spec.version), req.marker)
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_minimum():
    pins = locked()
    for req in [*RUNTIME, *DEV]:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        assert pins[name][0] in req.specifier, f"{name} {pins[name][0]} is not {req}"


def test_the_lock_has_hashes_for_every_pin():
    entries = re.split(r"\n(?=\S)", LOCK.read_text(encoding="utf-8"))
    pinned = [e for e in entries if "==" in e.split("\n", 1)[0]]
    assert len(pinned) >= 100
    assert all("--hash=sha256:" in e for e in pinned)


def test_the_environment_is_the_locked_one():
    """What runs the tests is what the lock says (``make venv`` installs it)."""
    wrong = {}
    for name, (version, _) in locked().items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong[name] = f"locked {version}, not installed"
            continue
        if installed != version:
            wrong[name] = f"locked {version}, installed {installed}"
    assert wrong == {}, "run `make venv` (or `make lock` after changing pyproject.toml)"


def test_the_makefile_installs_from_the_lock():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "LOCK    = requirements.lock" in makefile
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    assert "uv pip compile pyproject.toml --extra dev" in makefile


def test_environment_yml_installs_the_lock_and_lists_no_package_of_its_own():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    conda = sorted(d.split("=")[0] for d in deps if isinstance(d, str))
    assert conda == ["pip", "python"]
    assert "python=3.11" in deps
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict)]
    assert pip == ["-r requirements.lock"]


# --- One version ---------------------------------------------------------------------------------

def test_the_version_has_one_home():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "trygghet.__version__"
    assert metadata.version("trygghet") == trygghet.__version__
    Version(trygghet.__version__)  # a valid version number


def test_the_changelog_has_the_current_version_and_an_unreleased_section():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{trygghet.__version__}]" in text


def test_the_licence_is_the_declared_one():
    assert PROJECT["license"] == "MIT"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "trygghet contributors" in text


# --- Notebooks are committed without outputs ---------------------------------------------------

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebooks_have_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert [i for i, c in enumerate(code) if c.get("outputs")] == []
    assert [i for i, c in enumerate(code) if c.get("execution_count") is not None] == []
    # What an executed notebook leaves besides outputs: papermill's and Jupyter's run data.
    assert "papermill" not in nb["metadata"]
    assert [i for i, c in enumerate(nb["cells"])
            if {"papermill", "execution"} & set(c.get("metadata", {}))] == []


def test_the_notebook_check_finds_outputs(tmp_path):
    """The check above fails on an executed notebook (one output, one count)."""
    nb = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    cell["execution_count"] = 1
    path = tmp_path / "executed.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(AssertionError):
        test_committed_notebooks_have_no_outputs(path)


def test_the_pre_commit_hook_strips_notebook_outputs():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    (strip,) = [h for h in hooks if h["id"] == "nbstripout"]
    assert strip["entry"].split()[0] == "nbstripout"
    assert "--keep-id" in strip["entry"]  # cell ids stay as committed
    assert re.search(strip["files"], "notebooks/a.ipynb")
    assert any(dep.startswith("nbstripout==") for dep in strip["additional_dependencies"])


def test_the_hooks_use_the_locked_tool_versions():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    pins = locked()
    deps = [d for repo in config["repos"] for h in repo["hooks"]
            for d in h.get("additional_dependencies", [])]
    assert deps
    for dep in deps:
        req = Requirement(dep)
        assert req.specifier.contains(pins[canonicalize_name(req.name)][0]), dep

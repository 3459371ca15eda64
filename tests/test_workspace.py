"""Workspaces (issue 13): one per municipality, made by ``trygghet init``, never mixed.

- ``init`` writes the tree, refuses a folder that is not empty, and the new
  workspace cleans and estimates a real export once it is placed there;
- a command outside every workspace is one message with ``trygghet init`` as the
  fix, and the example is never used in its place;
- working in one workspace opens nothing of another, the example included
  (proved with an audit hook on every ``open`` and directory listing, in the
  command's process and in every Python process it starts: workers and kernels);
- a year of another municipality in the surveys folder is not joined in the
  changes, the trend or the report (comparability.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import EXAMPLE, REPO, SAMPLE_EPOCH, SAMPLE_KEY, run_main

import trygghet
from trygghet import comparability
from trygghet.config import DEFAULT_SETTINGS, Project, load_settings
from trygghet.workspace import FOLDERS

YEAR = 2020
EXPORT = Path("data/raw/2020/trygghet_2020_export.csv")


def init(path: Path, municipality: str = "Vänersborg") -> subprocess.CompletedProcess:
    return run_main("init", str(path), "--municipality", municipality)


def place_sample_year(root: Path, year: int = YEAR) -> None:
    """What a user does after init: the export, its mapping and the population file."""
    mapping = EXAMPLE / "config" / "surveys" / f"{year}.yml"
    source = yaml.safe_load(mapping.read_text(encoding="utf-8"))["source"]["file"]
    (root / source).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE / source, root / source)
    shutil.copyfile(mapping, root / "config" / "surveys" / f"{year}.yml")
    shutil.copyfile(EXAMPLE / "data" / "reference" / f"population_{year}.csv",
                    root / "data" / "reference" / f"population_{year}.csv")


# --- trygghet init ---------------------------------------------------------------------------

def test_init_creates_the_workspace(tmp_path):
    root = tmp_path / "vanersborg"
    res = init(root)
    assert res.returncode == 0, res.stderr
    for folder in FOLDERS:
        assert (root / folder).is_dir(), folder
    settings = load_settings(Project.find(root))
    assert settings["municipality"] == "Vänersborg" and settings["synthetic_data"] is False
    # Every other setting is at its default, and each is there to uncomment.
    assert {k: v for k, v in settings.items() if k not in ("municipality", "synthetic_data")} \
        == {k: v for k, v in DEFAULT_SETTINGS.items() if k not in ("municipality",
                                                                    "synthetic_data")}
    text = (root / "config" / "trygghet.yml").read_text(encoding="utf-8")
    for key in DEFAULT_SETTINGS:
        assert f"# {key}:" in text or f"\n{key}:" in text, key
    default = Path(trygghet.__file__).with_name("frageformular.yml")
    assert (root / "config" / "frageformular.yml").read_bytes() == default.read_bytes()
    guide = (root / "config" / "surveys" / "README.md").read_text(encoding="utf-8")
    assert "trygghet mapping draft" in guide
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "Vänersborg" in readme
    for where in ("config/trygghet.yml", "config/frageformular.yml", "config/surveys",
                  "data/raw", "data/reference", "data/processed", "reports"):
        assert where in readme, where
    steps = [readme.index(f"trygghet {c} --year") for c in ("clean", "estimate", "report")]
    assert steps == sorted(steps), "the commands in the order they are run"
    assert str(root) in res.stdout and "README.md" in res.stdout


def test_init_gitignore_keeps_personal_data_and_outputs_out(tmp_path):
    root = tmp_path / "kommun"
    assert init(root).returncode == 0
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "init", "-q", str(root)], check=True)

    def ignored(name: str) -> bool:
        return subprocess.run([git, "-C", str(root), "check-ignore", "-q", "--no-index", name]
                              ).returncode == 0

    for name in ("data/raw/2024/export.csv", "data/raw/2024/svar.xlsx",
                 "data/processed/2024/responses.parquet", "reports/2024/rapport.html",
                 ".trygghet_key"):
        assert ignored(name), name
    for name in ("config/trygghet.yml", "config/frageformular.yml", "config/surveys/2024.yml",
                 "data/reference/population_2024.csv", "README.md"):
        assert not ignored(name), name


@pytest.mark.parametrize("where", ["non_empty", "workspace", "inside", "file"])
def test_init_refuses_a_used_folder_with_one_message(tmp_path, where):
    root = tmp_path / "plats"
    if where == "non_empty":
        root.mkdir()
        (root / "anteckningar.txt").write_text("mina filer", encoding="utf-8")
    elif where == "workspace":
        assert init(root).returncode == 0
    elif where == "inside":
        assert init(tmp_path / "yttre").returncode == 0
        root = tmp_path / "yttre" / "inre"
    else:
        root.write_text("en fil", encoding="utf-8")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    res = init(root, "Annan kommun")
    assert res.returncode == 2
    assert res.stderr.startswith("fel: ") and res.stderr.count("fel:") == 1
    assert "Åtgärd:" in res.stderr and "Traceback" not in res.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before, "nothing written"


def test_init_that_cannot_write_is_one_message_and_leaves_nothing(tmp_path):
    (tmp_path / "en_fil").write_text("x", encoding="utf-8")
    res = init(tmp_path / "en_fil" / "arbetsyta")   # a file where a folder should be
    assert res.returncode == 2 and "kan inte skapa arbetsytan" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en_fil"]


@pytest.mark.parametrize("name", ["", "   ", "Rad\nbrytning", "x" * 101])
def test_init_refuses_a_name_that_is_not_a_name(tmp_path, name):
    res = init(tmp_path / "ny", name)
    assert res.returncode == 2 and "kommunnamn" in res.stderr
    assert not (tmp_path / "ny").exists()


def test_init_then_place_data_then_clean_and_estimate(tmp_path):
    """The newcomer's path: init, place an export with its mapping and population, run.
    The 2020 estimates equal those of the same year in (a copy of) the example."""
    root = tmp_path / "ny"
    assert init(root, "Trollhättan").returncode == 0
    place_sample_year(root)
    for command in ("clean", "estimate"):
        res = run_main("--root", str(root), command, "--year", str(YEAR))
        assert res.returncode == 0, res.stderr
    log = json.loads((root / "data/processed/2020/cleaning_log.json").read_text("utf-8"))
    assert log["municipality"] == "Trollhättan"
    assert (root / "reports" / "2020" / "tabeller_2020.xlsx").is_file()

    example = tmp_path / "exempel"
    for part in ("config", "data/raw", "data/reference"):
        shutil.copytree(EXAMPLE / part, example / part)
    assert run_main("--root", str(example), "estimate", "--year", str(YEAR)).returncode == 0
    ours = pd.read_parquet(root / "data/processed/2020/estimates.parquet")
    theirs = pd.read_parquet(example / "data/processed/2020/estimates.parquet")
    pd.testing.assert_frame_equal(ours, theirs)


def test_init_workspace_lists_its_questions(tmp_path):
    from trygghet.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    if "questions" not in commands:
        pytest.skip("`trygghet questions` comes with the questionnaire branch")
    root = tmp_path / "ny"
    assert init(root).returncode == 0
    place_sample_year(root)
    res = run_main("--root", str(root), "questions")
    assert res.returncode == 0, res.stderr
    assert "safe_evening" in res.stdout


# --- Finding the workspace -------------------------------------------------------------------

@pytest.mark.parametrize("cwd", ["empty", "checkout"])
def test_a_command_outside_every_workspace_is_one_message(tmp_path, monkeypatch, cwd):
    """No workspace here or above: exit 2 and `trygghet init` as the fix. In the checkout
    itself too — the example is a workspace of its own, never a fallback."""
    monkeypatch.delenv("TRYGGHET_ROOT", raising=False)
    monkeypatch.chdir(tmp_path if cwd == "empty" else REPO)
    res = run_main("estimate", "--year", str(YEAR))
    assert res.returncode == 2
    assert "hittar ingen arbetsyta" in res.stderr and "trygghet init" in res.stderr
    assert res.stderr.count("fel:") == 1 and "Traceback" not in res.stderr
    res = run_main("--root", str(tmp_path), "clean", "--year", str(YEAR))
    assert res.returncode == 2 and "trygghet init" in res.stderr


def test_the_working_folder_names_the_workspace(tmp_path, monkeypatch):
    root = tmp_path / "ny"
    assert init(root).returncode == 0
    monkeypatch.delenv("TRYGGHET_ROOT", raising=False)
    monkeypatch.chdir(root / "config" / "surveys")
    assert Project.find().root == root.resolve()
    monkeypatch.setenv("TRYGGHET_ROOT", str(EXAMPLE))  # --root wins over the environment
    assert Project.find(root).root == root.resolve()
    monkeypatch.chdir(tmp_path)
    assert Project.find().root == EXAMPLE.resolve()  # then the environment


def test_a_named_folder_must_itself_be_a_workspace(tmp_path, monkeypatch):
    """--root (or TRYGGHET_ROOT) at a folder inside another workspace is refused, not
    taken for that workspace: a municipality's folder placed in another's stays apart."""
    outer = tmp_path / "annan"
    assert init(outer).returncode == 0
    inner = outer / "data" / "raw" / "min_kommun"
    inner.mkdir()
    res = run_main("--root", str(inner), "estimate", "--year", str(YEAR))
    assert res.returncode == 2 and "är ingen arbetsyta" in res.stderr
    assert "trygghet init" in res.stderr
    monkeypatch.setenv("TRYGGHET_ROOT", str(inner))
    monkeypatch.chdir(tmp_path)
    assert run_main("estimate", "--year", str(YEAR)).returncode == 2


def test_sample_writes_only_into_a_workspace_for_synthetic_data(tmp_path):
    root = tmp_path / "riktig"
    assert init(root).returncode == 0
    res = run_main("--root", str(root), "sample")
    assert res.returncode == 2 and "synthetic_data: false" in res.stderr
    assert not any((root / "data" / "raw").iterdir())


@pytest.mark.slow
def test_sample_without_root_writes_the_example_not_the_working_folder(tmp_path, monkeypatch):
    """`trygghet sample` run inside a municipality's workspace regenerates the example
    (here a copy standing in for it), byte for byte, and leaves the workspace alone."""
    import trygghet.config

    example = tmp_path / "exempel"
    for part in ("config", "data/raw", "data/reference"):
        shutil.copytree(EXAMPLE / part, example / part)
    before = {p.relative_to(example): p.read_bytes()
              for p in sorted(example.rglob("*")) if p.is_file()}
    made = [*(example / "data" / "raw").rglob("*.csv"),
            *(example / "data" / "reference").glob("population_*.csv"),
            *(example / "data" / "reference").glob("brott_*.csv")]
    for path in made:  # what the generator writes, spoilt
        path.write_text("förstörd", encoding="utf-8")
    monkeypatch.setattr(trygghet.config, "example_workspace", lambda: example)
    own = tmp_path / "kommun"
    assert init(own).returncode == 0
    monkeypatch.chdir(own)
    monkeypatch.delenv("TRYGGHET_ROOT", raising=False)
    res = run_main("sample")
    assert res.returncode == 0, res.stderr
    assert str(example) in res.stdout
    after = {p.relative_to(example): p.read_bytes()
             for p in sorted(example.rglob("*")) if p.is_file()}
    assert after.keys() == before.keys()
    # (.xlsx: zlib builds may compress differently; tests/test_sample.py compares contents)
    assert {k: v for k, v in after.items() if k.suffix != ".xlsx"} \
        == {k: v for k, v in before.items() if k.suffix != ".xlsx"}
    assert not any((own / "data" / "raw").iterdir())


# --- Two workspaces side by side -------------------------------------------------------------

# Installed as sitecustomize in every Python process of the audited command (the command,
# its render workers and the Jupyter kernels inherit PYTHONPATH): each path opened or
# listed goes to a log file per process.
AUDIT = '''
import os, sys
_log = os.environ.get("TRYGGHET_AUDIT_LOG")
if _log:
    _out = open(f"{_log}.{os.getpid()}", "a", encoding="utf-8", buffering=1)
    def _audit(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args:
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                path = os.fsdecode(path)
                _out.write(os.path.join(os.getcwd(), path) + "\\n")
    sys.addaudithook(_audit)
'''


def _opened(log_prefix: Path) -> set[Path]:
    lines = set()
    for log in log_prefix.parent.glob(log_prefix.name + ".*"):
        lines |= set(log.read_text(encoding="utf-8").splitlines())
    return {Path(os.path.normpath(line)) for line in lines if line}


@pytest.mark.slow
def test_two_workspaces_never_read_each_others_files(tmp_path):
    """Workspace B (a newcomer's, made by init) and workspace A (a copy of the example,
    already run) side by side. The whole cycle in B — clean, estimate and the HTML
    reports, whose notebooks run in separate kernels — started from inside A with
    TRYGGHET_ROOT pointing at A, opens and lists nothing under A nor under the example."""
    a = tmp_path / "a"
    for part in ("config", "data/raw", "data/reference"):
        shutil.copytree(EXAMPLE / part, a / part)
    env = {**os.environ, "SOURCE_DATE_EPOCH": SAMPLE_EPOCH, "TRYGGHET_PSEUDONYM_KEY": SAMPLE_KEY}
    # -P: the interpreter does not put (and so list) the working folder on sys.path.
    trygghet_cli = [sys.executable, "-P", "-m", "trygghet.cli"]
    done = subprocess.run([*trygghet_cli, "--root", str(a), "estimate", "--year", str(YEAR)],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    b = tmp_path / "b"
    assert init(b, "Vänersborg").returncode == 0
    place_sample_year(b)

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT, encoding="utf-8")
    log = tmp_path / "logs" / "opened"
    log.parent.mkdir()
    # (An empty entry would be the working folder: A.)
    env |= {"PYTHONPATH": os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")])),
            "TRYGGHET_AUDIT_LOG": str(log), "TRYGGHET_ROOT": str(a)}
    for args in (["clean"], ["estimate"], ["report", "--format", "html", "--jobs", "1"]):
        res = subprocess.run([*trygghet_cli, "--root", str(b), *args, "--year", str(YEAR)],
                             cwd=a, env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-3000:]
    opened = _opened(log)
    assert any(p.is_relative_to(b.resolve() / "data" / "raw") for p in opened), \
        "the hook saw the command read B's export"
    assert any("ipykernel" in p.as_posix() for p in opened), "the hook ran in the kernels too"
    assert (b / "reports" / "2020" / "trygghetsrapport_2020.html").is_file()
    for other in (a.resolve(), EXAMPLE.resolve()):
        leaked = sorted(str(p) for p in opened if p.is_relative_to(other))
        assert leaked == [], f"working in B touched {other}: {leaked[:5]}"


# --- A year of another municipality ----------------------------------------------------------

def _cleaned_elsewhere(tmp_path: Path, municipality: str) -> Path:
    """The example's 2019, cleaned and estimated in a workspace of ``municipality``."""
    other = tmp_path / f"annan_{municipality}"
    assert init(other, municipality).returncode == 0
    place_sample_year(other, 2019)
    for command in ("clean", "estimate"):
        assert run_main("--root", str(other), command, "--year", "2019").returncode == 0
    return other


def _with_placed_year(tmp_path: Path, municipality: str) -> Path:
    """Trollhättan's 2020, with the 2019 survey folder of another workspace placed in it."""
    root = tmp_path / f"trollhattan_{municipality}"
    assert init(root, "Trollhättan").returncode == 0
    place_sample_year(root)
    other = _cleaned_elsewhere(tmp_path, municipality)
    shutil.copyfile(other / "config/surveys/2019.yml", root / "config/surveys/2019.yml")
    shutil.copytree(other / "data/raw/2019", root / "data/raw/2019")
    shutil.copytree(other / "data/processed/2019", root / "data/processed/2019")
    for command in ("clean", "estimate"):
        res = run_main("--root", str(root), command, "--year", str(YEAR))
        assert res.returncode == 0, res.stderr
    return root


@pytest.mark.slow
def test_a_year_of_another_municipality_is_not_joined(tmp_path):
    """The issue's case: the same areas ("Centrum" in both), another town. No change is
    computed from it, the report leaves it out, and the trend says why. The same files
    cleaned for Trollhättan are joined: the rule, not the setup, keeps them apart."""
    from trygghet import charts, report_survey

    root = _with_placed_year(tmp_path, "Vänersborg")
    changes = pd.read_parquet(root / "data/processed/2020/changes.parquet")
    assert changes.empty
    import openpyxl

    about = openpyxl.load_workbook(root / "reports/2020/tabeller_2020.xlsx").worksheets[0]
    assert any(str(c.value).startswith("Inte jämförbart: 2019") and "Vänersborg" in c.value
               for row in about.iter_rows() for c in row if c.value)
    rep = report_survey.load_survey_report(YEAR, project=Project(root))
    assert rep.years == [YEAR] and set(rep.estimates["year"]) == {YEAR}
    note = rep.not_comparable[2019].note()
    assert note.startswith("Inte jämförbart: 2019") and "Vänersborg" in note
    ax = charts.trend(rep.estimates, "otrygg_kvall", group_var="sex",
                      not_comparable=rep.not_comparable)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Inte jämförbart: 2019" in texts and "Vänersborg" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020"]
    assert "Inte jämförbart: 2019" in charts.alt_text(ax)
    # The analysts' workbench follows the same rule.
    from trygghet.errors import TrygghetError
    from trygghet.workbench import Workbench

    wb = Workbench(root, year=YEAR)
    trend = wb.trend("otrygg_kvall")
    assert set(trend.rows["year"]) == {YEAR}
    assert any(n.startswith("Inte jämförbart: 2019") for n in trend.notes)
    with pytest.raises(TrygghetError, match="Inte jämförbart: 2019"):
        wb.compare_years("otrygg_kvall", (2019, YEAR))

    same = _with_placed_year(tmp_path, "Trollhättan")
    joined = pd.read_parquet(same / "data/processed/2020/changes.parquet")
    assert set(joined["year_from"]) == {2019}
    rep = report_survey.load_survey_report(YEAR, project=Project(same))
    assert rep.years == [2019, YEAR] and rep.not_comparable == {}
    assert set(Workbench(same, year=YEAR).trend("otrygg_kvall").rows["year"]) == {2019, YEAR}


# --- The rule itself ---------------------------------------------------------------------------

AREAS = frozenset({"Centrum", "Norr", "Söder"})


@pytest.mark.parametrize(("other", "comparable", "areas_comparable", "words"), [
    (comparability.YearProfile(2019, "Trollhättan", AREAS), True, True, ""),
    (comparability.YearProfile(2019, " trollhättan ", AREAS), True, True, ""),
    (comparability.YearProfile(2019, "Vänersborg", AREAS), False, False, "Vänersborg"),
    (comparability.YearProfile(2019, None, AREAS), True, True, ""),   # an older run
    (comparability.YearProfile(2019, "Trollhättan", None), True, True, ""),  # areas unknown
    (comparability.YearProfile(2019, "Trollhättan", frozenset({"Öst", "Väst"})), False, False,
     "inga gemensamma områden"),
    (comparability.YearProfile(2019, "Trollhättan", frozenset({"Centrum", "Norr"})), True,
     False, "områdena skiljer sig (Söder)"),
])
def test_comparability_rule(other, comparable, areas_comparable, words):
    base = comparability.YearProfile(2020, "Trollhättan", AREAS)
    verdict = comparability.judge(base, other, "Trollhättan")
    assert (verdict.comparable, verdict.areas_comparable) == (comparable, areas_comparable)
    assert words in verdict.note()
    assert (verdict.note() == "") == areas_comparable
    english = comparability.judge(base, other, "Trollhättan", language="en").note("en")
    assert (english == "") == areas_comparable and "jämförbart" not in english


def test_a_base_year_of_another_municipality_compares_with_nothing():
    base = comparability.YearProfile(2020, "Vänersborg", AREAS)
    other = comparability.YearProfile(2019, "Trollhättan", AREAS)
    assert not comparability.judge(base, other, "Trollhättan").comparable


def test_a_chart_by_area_leaves_out_a_year_whose_areas_differ():
    from trygghet import charts

    rows = []
    for year in (2019, 2020):
        for group in ("Centrum", "Norr"):
            rows.append({"year": year, "indicator": "otrygg_kvall", "group_var": "area",
                         "group": group, "estimate": 0.2, "ci_low": 0.15, "ci_high": 0.25,
                         "n": 200, "suppressed": False, "symbol": "", "kind": "share",
                         "estimate_type": "weighted", "generalisable": True,
                         "ci_level": 0.95})
    est = pd.DataFrame(rows)
    verdict = comparability.Verdict(2019, (), ("områdena skiljer sig (Söder)",))
    ax = charts.trend(est, "otrygg_kvall", group_var="area", not_comparable={2019: verdict})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020"]
    assert "Inte jämförbart per område: 2019" in " ".join(t.get_text() for t in ax.texts)
    ax = charts.trend(est, "otrygg_kvall", group_var="area")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020"]

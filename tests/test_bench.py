"""Smoke run of the national benchmark (benchmarks/bench.py) on a small survey.

The benchmark itself is not part of the test suite (a full run takes about half
an hour); this runs it end to end on 10,000 rows of four municipalities, one repeat,
without the report and R steps, and checks that it completes and prints the
table with its baselines, ratios, warm and cold runs and the chain's breakdown.
No figure is checked: performance is the benchmark's business, not a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench.py"


@pytest.mark.slow
def test_bench_smoke(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "10000", "--municipalities", "4", "--repeat", "1",
         "--skip-reports", "--skip-r", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    assert "| step | median time | peak memory | baseline | ratio | target | met |" in text
    # Baselines and ratios are printed in the same run.
    assert "row-by-row" in text and "× faster" in text
    assert "naive finds the same: yes" in text
    # Warm and cold, with the chain's own breakdown and the targets of issue 19.
    assert "export → estimates, warm" in text and "export → estimates, cold" in text
    assert "≤ 10 s, ≤ 2 GB" in text and "≤ 15 s, ≤ 2 GB" in text
    assert "load CSV, cold (dropped with posix_fadvise" in text
    for part in ("load", "clean", "rake", "estimates"):
        assert f"… {part} (warm chain)" in text and f"… {part} (cold chain)" in text

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    steps = results["steps"]
    for step in ("load_csv", "load_csv_cold", "load_parquet", "clean", "clean_naive", "rake",
                 "estimates", "chain", "chain_cold"):
        assert steps[step]["seconds"] > 0
        assert steps[step]["peak_mb"] > 0
    # The cold runs say how the export left the page cache; the chain's stages add up.
    for step in ("load_csv_cold", "chain_cold"):
        assert "POSIX_FADV_DONTNEED" in steps[step]["info"]["cache"]["method"]
    for step in ("chain", "chain_cold"):
        info = steps[step]["info"]
        parts = sum(info[f"{p}_s"] for p in ("load", "clean", "rake", "estimates"))
        assert parts == pytest.approx(steps[step]["seconds"], rel=1e-6)
        assert set(info["stage_peak_mb"]) >= {"load", "clean", "rake", "estimates"}
    # The row-by-row cleaning finds exactly what trygghet finds.
    assert steps["clean_naive"]["info"]["rows_clean"] == steps["clean"]["info"]["rows_clean"]
    # 10,000 rows minus the designed mess: 8 quarantine reasons × 2 rows, 5 + 3 duplicates.
    assert steps["clean"]["info"]["rows_clean"] == 10_000 - 16 - 8
    md = (out / "results.md").read_text(encoding="utf-8")
    assert md.startswith("# trygghet benchmark")
    # The note on other load is measured (CPU time of the rest of the machine), not guessed.
    other = results["other_processes"]
    assert other["cpu_s"] >= 0 and other["wall_s"] > 0
    assert f"Other processes used {other['cpu_s']:.0f} CPU-seconds" in md


@pytest.mark.slow
def test_tree_sampler_counts_the_cpu_of_a_forked_kernel(tmp_path, monkeypatch):
    # The zygote reaps its kernels itself, so their CPU time reaches no RUSAGE_CHILDREN:
    # the benchmark must sample it, or a warm kernel's work is "other processes".
    import importlib.util

    import nbformat

    from trygghet import render
    from trygghet.render import warm

    if not warm.supported():
        pytest.skip("warm kernels are Linux only")
    monkeypatch.delenv("TRYGGHET_WARM_KERNELS", raising=False)
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6:\n    pass")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "busy.ipynb"
    nbformat.write(nb, path)
    try:
        assert warm.start() is not None  # as render_notebook does: the kernel is forked
        with bench.TreeSampler(interval=0.02) as sampler:
            render.execute_notebook(path, tmp_path / "out.ipynb", cwd=tmp_path)
    finally:
        warm.stop()
    assert sampler.forked_kernel_cpu >= 0.5

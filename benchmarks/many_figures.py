"""A living review's job of 200 figures: ``python -m benchmarks.many_figures [--figures N]``.

The job is the example job's figures (``figures_in/``, PFS and OS of four simulated studies)
copied over and over, each copy one pixel different so that its bytes, and so its cache key, are
its own. Measured, each as ``kmipd run`` in a child process:

1. ``--jobs 2`` with an empty cache: wall seconds and figures per second (and the peak memory
   of any one kmipd process over all the runs);
2. the same run again: every figure comes from the cache;
3. one figure added to the manifest: only it is extracted;
4. ``--dask`` on a ``distributed.LocalCluster`` of 2 worker processes (skipped when
   ``distributed`` is not installed): wall seconds, and whether every output file is byte for
   byte the one of run 1.

Prints a table and writes ``benchmarks/results/many_figures.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import pandas as pd

from benchmarks.make_figures_in import FOLDER

RESULTS = Path(__file__).with_name("results") / "many_figures.json"


def make_job(folder: Path, n_figures: int) -> None:
    """``n_figures`` rows of ``studies.csv`` in ``folder``, copies of the example job's figures."""
    folder.mkdir(parents=True)
    manifest = pd.read_csv(FOLDER / "studies.csv", dtype=str, keep_default_na=False)
    shutil.copy(FOLDER / "analysis.json", folder / "analysis.json")
    rows = []
    for index in range(n_figures):
        row = manifest.iloc[index % len(manifest)].copy()
        copy = index // len(manifest)
        source = FOLDER / row["figure"]
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        image[0, 0] = (copy * 37 % 256, copy * 11 % 256, 255 - copy % 256)  # bytes of its own, same curves
        name = f"copy{copy:03d}_{source.stem}.png"
        cv2.imwrite(str(folder / name), image)
        if row.get("at_risk"):
            shutil.copy(FOLDER / row["at_risk"], folder / row["at_risk"])
        row["figure"], row["study"] = name, f"{row['study']} copy {copy:03d}"
        rows.append(row)
    pd.DataFrame(rows).to_csv(folder / "studies.csv", index=False)


def timed_run(folder: Path, out: Path, *options: str) -> dict:
    """``kmipd run`` in a child process: its wall seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kmipd", "run", str(folder), "--out", str(out), *options],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"wall_seconds": time.perf_counter() - start}


def same_files(first: Path, second: Path) -> bool:
    """Whether two output folders hold the same files with the same bytes."""
    def files(folder):
        return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    return files(first) == files(second)


def main(n_figures: int) -> dict:
    """Run the four measurements; print and write them."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        job, cache = scratch / "job", scratch / "cache"
        make_job(job, n_figures)
        rows = {}
        rows["jobs 2, empty cache"] = timed_run(job, scratch / "first", "--jobs", "2", "--cache", str(cache))
        rows["jobs 2, every figure cached"] = timed_run(job, scratch / "second", "--jobs", "2", "--cache", str(cache))
        rows["cached rerun is byte-identical"] = same_files(scratch / "first", scratch / "second")
        make_job(scratch / "one_more", n_figures + 1)  # the same first figures, byte for byte: cached
        rows["one figure added"] = timed_run(scratch / "one_more", scratch / "third", "--jobs", "2",
                                             "--cache", str(cache))
        try:
            from distributed import LocalCluster
        except ImportError:
            rows["dask"] = "skipped: distributed is not installed"
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                rows["dask LocalCluster, 2 workers"] = timed_run(job, scratch / "dask", "--dask",
                                                                 cluster.scheduler_address, "--no-cache")
            rows["dask results byte-identical"] = same_files(scratch / "first", scratch / "dask")
    first = rows["jobs 2, empty cache"]
    first["figures_per_second"] = n_figures / first["wall_seconds"]
    # the largest resident memory of any run or worker process (the Dask workers are not children)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = {"figures": n_figures, "cores": os.cpu_count(), "load_average": os.getloadavg()[0], "runs": rows,
               "peak_megabytes_of_a_local_process": peak}
    print(f"{n_figures} figures on {os.cpu_count()} cores (load average {summary['load_average']:.1f})")
    for name, value in rows.items():
        if isinstance(value, dict):
            extra = f", {value['figures_per_second']:.2f} figures/s" if "figures_per_second" in value else ""
            print(f"  {name:34s} {value['wall_seconds']:7.1f} s{extra}")
        else:
            print(f"  {name:34s} {value}")
    print(f"  peak memory of one kmipd process: {peak:.0f} MB")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=200)
    main(parser.parse_args().figures)

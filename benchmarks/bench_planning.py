"""How the time to plan a run (``snakemake -n``) grows with the number of seeds.

    python benchmarks/bench_planning.py                      # 100, 200 and 400 seeds
    python benchmarks/bench_planning.py --seeds 100 400 2000 # 2000 takes minutes (see below)
    python benchmarks/bench_planning.py --profile 400        # where the time goes, 400 seeds

Each count N is the default config with ``seeds: [1, ..., N]``, planned by ``snakemake -n
--quiet all`` from the repository root (nothing runs; ``--nolock``, so a run beside it is not
disturbed). The table gives the wall time and its ratio to the first count's, beside the ratios
that linear and quadratic growth would give: all in the same run, on the same machine.

Why it grows faster than linearly: a job trains (or draws) one student for every seed, so a batch
rule's outputs are one pattern per seed, all beginning ``results/{regime}/``. For every input
file of every job Snakemake looks for its producer among all output patterns whose constant
prefix (``results/``) begins the file's path (``snakemake.output_index.OutputIndex.match``), then
tries each pattern of each candidate rule (``Rule.is_producer``): work proportional to the seeds,
done for a number of files proportional to the seeds. ``--profile`` shows that share.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def overlay(seeds: int, folder: Path) -> Path:
    path = folder / f"seeds{seeds}.yaml"
    path.write_text("seeds: " + json.dumps(list(range(1, seeds + 1))) + "\n")
    return path


def command(configfile: Path) -> list[str]:
    return [str(SNAKEMAKE), "-n", "--nolock", "--quiet", "all", "--configfile", str(configfile)]


def plan_seconds(configfile: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command(configfile), cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def profile(configfile: Path) -> None:
    """Plan in this process under cProfile; print the producer lookup's share and the top entries."""
    from snakemake.cli import main  # imported only here: timing mode runs Snakemake as a program

    os.chdir(ROOT)
    sys.argv = command(configfile)
    profiler = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        profiler.runcall(main)
    stats = pstats.Stats(profiler)
    total = max(row[3] for row in stats.stats.values())
    lookup = sum(row[3] for key, row in stats.stats.items() if key[2] == "match_producers")
    print(f"planning {total:.1f} s under the profiler, of which Snakemake's producer lookup {lookup:.1f} s")
    stats.sort_stats("tottime").print_stats(12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--profile", type=int, metavar="N", help="profile planning N seeds instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.profile:
            profile(overlay(args.profile, Path(folder)))
            return
        first = None
        print(f"{'seeds':>6} {'seconds':>8} {'ratio':>7} {'linear':>7} {'quadratic':>9}")
        for n in args.seeds:
            seconds = plan_seconds(overlay(n, Path(folder)))
            first = first or (n, seconds)
            scale = n / first[0]
            print(f"{n:>6} {seconds:>8.1f} {seconds / first[1]:>7.1f} {scale:>7.1f} {scale**2:>9.1f}")


if __name__ == "__main__":
    main()

"""Fit 10^8 samples generated lazily by dask, on a local cluster (or --scheduler).

    python examples/dask_fit.py [--samples 100000000] [--scheduler tcp://...]

Each chunk is generated on a worker, reduced to its power sums by polyfit's
compiled kernel, and the sums are combined in a tree: the data never sit in
one place.  Needs polyfit[dask].
"""

import argparse
import time

import dask.array as da
from distributed import Client, LocalCluster

import polyfit.dask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000_000)
    parser.add_argument("--chunk", type=int, default=5_000_000)
    parser.add_argument("--scheduler", help="address of a running scheduler")
    args = parser.parse_args()

    cluster = None
    if args.scheduler is None:
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
    with Client(args.scheduler or cluster):
        x = da.random.default_rng(0).uniform(-3.0, 3.0, args.samples, chunks=args.chunk)
        y = da.sin(x) + 0.1 * da.random.default_rng(1).standard_normal(
            args.samples, chunks=args.chunk
        )
        started = time.perf_counter()
        result = polyfit.dask.fit(x, y, 3, lr="auto", epochs=2000, seed=0, scale=True)
        seconds = time.perf_counter() - started
    if cluster is not None:
        cluster.close()
    print(f"{args.samples:,} samples in {seconds:.1f} s (one pass; 2000 epochs on the sums)")
    print(f"loss per sample {result.loss / args.samples:.6f}")
    print(f"Result: {result}")


if __name__ == "__main__":
    main()

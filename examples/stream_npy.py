"""Fit data too large for memory: two .npy files read a chunk at a time.

    python examples/stream_npy.py [--samples 20000000] [--chunk 1000000]

Writes x.npy and y.npy into a temporary folder, opens them with
mmap_mode='r' and streams (x, y) chunks into polyfit.fit_stream: memory stays
O(chunk) whatever the file size.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import polyfit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        x_path, y_path = Path(folder) / "x.npy", Path(folder) / "y.npy"
        x_file = np.lib.format.open_memmap(x_path, mode="w+", shape=(args.samples,))
        y_file = np.lib.format.open_memmap(y_path, mode="w+", shape=(args.samples,))
        rng = np.random.default_rng(0)
        for start in range(0, args.samples, args.chunk):  # written a chunk at a time too
            x = rng.uniform(0.0, 10.0, min(args.chunk, args.samples - start))
            x_file[start : start + x.size] = x
            y_file[start : start + x.size] = np.sqrt(x) + 0.05 * rng.standard_normal(x.size)
        x_file.flush()
        y_file.flush()
        del x_file, y_file

        x = np.load(x_path, mmap_mode="r")
        y = np.load(y_path, mmap_mode="r")
        chunks = (
            (x[i : i + args.chunk], y[i : i + args.chunk]) for i in range(0, x.size, args.chunk)
        )
        started = time.perf_counter()
        # the range must be known before the first chunk to scale: [0, 10] here
        result = polyfit.fit_stream(chunks, 3, domain=(0.0, 10.0), lr="auto", epochs=2000, seed=0)
        seconds = time.perf_counter() - started
        del x, y
    print(f"{args.samples:,} samples streamed in {seconds:.2f} s")
    print(f"Result: {result}")


if __name__ == "__main__":
    main()

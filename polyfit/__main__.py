"""python -m polyfit: the tutorial "Warm-up: numpy", run by polyfit.

Fits sin(x) on 2000 points in [-pi, pi] with a third-order polynomial, prints
the loss every 100 epochs and the result, exactly as the tutorial does: with
its step (lr=1e-6), x unscaled and a random start (from --seed).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings

import numpy as np

from . import ConvergenceWarning, DivergenceError, fit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polyfit", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="seed of the random start")
    parser.add_argument("--degree", type=int, default=3, help="polynomial degree (3)")
    parser.add_argument("--epochs", type=int, default=2000, help="epochs (2000)")
    parser.add_argument("--lr", type=float, default=1e-6, help="learning rate (1e-6)")
    args = parser.parse_args(argv)

    # Create input and output data, as in the tutorial
    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    try:
        with warnings.catch_warnings():
            # The tutorial's 2000 plain steps stop 1-70 % above the least-squares
            # optimum, depending on the random start; the demo shows them as they are.
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = fit(
                x,
                y,
                args.degree,
                lr=args.lr,
                epochs=args.epochs,
                seed=np.random.default_rng(args.seed),  # the random start, seeded or not
                scale=False,
                method="exact",
                optimizer="gd",
                callback=lambda epoch, loss, coef: print(epoch, loss),
            )
    except (ValueError, TypeError, DivergenceError) as exc:
        print(f"python -m polyfit: error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, DivergenceError) else 2
    print(f"Result: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `polyfit` command.

    polyfit demo [--seed N] [--degree D] [--epochs E] [--lr LR]
    polyfit fit DATA [--x COL] [--y COL] [--degree D] [--lr LR|auto] [--epochs E]
                     [--method exact|moments] [--optimizer gd|momentum|rmsprop|adam]
                     [--seed N] [--init C0,C1,...] [--tol TOL] [--scale]
                     [--log-every K] [--json FILE] [--plot FILE.png]

DATA is a CSV file (with or without a header row; --x/--y pick columns by name
or 0-based index, default the first two), a .npy file of two columns, or a .npz
file with arrays x and y (or the names --x/--y give).  Exit status: 0 on
success, 2 for bad usage or bad data (one line on stderr), 3 on divergence.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import DivergenceError, fit
from . import __main__ as demo

EXIT_USAGE = 2
EXIT_DIVERGED = 3


class UsageError(Exception):
    """Bad usage or bad data: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        raise UsageError(message)


def _column(header: list[str] | None, wanted: str | None, default: int, count: int) -> int:
    if wanted is None:
        index = default
    elif wanted.lstrip("-").isdigit():
        index = int(wanted)
    elif header is not None and wanted in header:
        index = header.index(wanted)
    else:
        known = f"; columns: {', '.join(header)}" if header else " (the file has no header)"
        raise UsageError(f"no column {wanted!r}{known}")
    if not -count <= index < count:
        raise UsageError(f"column {index} is out of range: the data have {count} columns")
    return index


def _read_csv(path: Path, x_col: str | None, y_col: str | None) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise UsageError(f"{path}: no data")
    header = None
    try:
        [float(cell) for cell in rows[0]]
    except ValueError:
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
    if not rows:
        raise UsageError(f"{path}: a header but no data rows")
    count = len(rows[0])
    xi = _column(header, x_col, 0, count)
    yi = _column(header, y_col, 1, count)
    try:
        x = np.array([float(row[xi]) for row in rows])
        y = np.array([float(row[yi]) for row in rows])
    except (ValueError, IndexError) as exc:
        raise UsageError(f"{path}: not a table of numbers ({exc})") from None
    return x, y


def read_data(path: Path, x_col: str | None, y_col: str | None) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a CSV, .npy or .npz file."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                names = (x_col or "x", y_col or "y")
                missing = [name for name in names if name not in arrays]
                if missing:
                    raise UsageError(f"{path}: no array {missing[0]!r}; it has {sorted(arrays)}")
                return np.asarray(arrays[names[0]]), np.asarray(arrays[names[1]])
        if suffix == ".npy":
            table = np.load(path, allow_pickle=False)
            if table.ndim != 2:
                raise UsageError(
                    f"{path}: expected a 2-D array of columns, got shape {table.shape}"
                )
            count = table.shape[1]
            return table[:, _column(None, x_col, 0, count)], table[
                :, _column(None, y_col, 1, count)
            ]
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    return _read_csv(path, x_col, y_col)


def _lr(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'auto': {text!r}") from None


def _init(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None


def _parser() -> _Parser:
    parser = _Parser(prog="polyfit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tutorial = commands.add_parser("demo", help="the tutorial (as python -m polyfit)")
    tutorial.add_argument("--seed", type=int, default=None)
    tutorial.add_argument("--degree", type=int, default=3)
    tutorial.add_argument("--epochs", type=int, default=2000)
    tutorial.add_argument("--lr", type=float, default=1e-6)
    run = commands.add_parser("fit", help="fit the data in a file")
    run.add_argument("data", type=Path, help="CSV, .npy (two columns) or .npz (x, y)")
    run.add_argument("--x", help="x column: name or 0-based index (default: the first)")
    run.add_argument("--y", help="y column: name or 0-based index (default: the second)")
    run.add_argument("--degree", type=int, default=3)
    run.add_argument("--lr", type=_lr, default=1e-6, help="a number or 'auto' (default 1e-6)")
    run.add_argument("--epochs", type=int, default=2000)
    run.add_argument("--method", default="exact", choices=["exact", "moments"])
    run.add_argument("--optimizer", default="gd", choices=["gd", "momentum", "rmsprop", "adam"])
    run.add_argument("--seed", type=int, default=None)
    run.add_argument("--init", type=_init, default=None, help="c0,c1,... lowest power first")
    run.add_argument("--tol", type=float, default=None)
    run.add_argument("--scale", action="store_true", help="train with x scaled to [-1, 1]")
    run.add_argument("--log-every", type=int, default=100)
    run.add_argument("--json", type=Path, help="write coef, loss, settings and losses here")
    run.add_argument("--plot", type=Path, help="save a figure (PNG) here; needs matplotlib")
    return parser


def _fit_command(args: argparse.Namespace) -> int:
    x, y = read_data(args.data, args.x, args.y)
    logged: dict[int, float] = {}

    def report(epoch: int, loss: float, coef: np.ndarray) -> None:
        logged[epoch] = loss
        print(epoch, loss, flush=True)

    result = fit(
        x,
        y,
        args.degree,
        lr=args.lr,
        epochs=args.epochs,
        init=args.init,
        seed=args.seed,
        log_every=args.log_every,
        callback=report,
        method=args.method,
        tol=args.tol,
        scale=args.scale,
        optimizer=args.optimizer,
    )
    print(f"Result: {result}")
    if args.json is not None:
        settings = {
            name: getattr(args, name)
            for name in (
                "degree",
                "epochs",
                "method",
                "optimizer",
                "seed",
                "tol",
                "scale",
                "log_every",
            )
        }
        document: dict[str, Any] = {
            "coef": result.coef.tolist(),
            "loss": result.loss,
            "lr": result.lr,
            "epochs_run": result.epochs_run,
            "converged": result.converged,
            "settings": {**settings, "data": str(args.data), "lr": args.lr, "init": args.init},
            "losses": {str(epoch): loss for epoch, loss in logged.items()},
        }
        args.json.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    if args.plot is not None:
        figure = result.plot(x, y)
        figure.savefig(args.plot)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "demo":
            options = [
                "--degree",
                str(args.degree),
                "--epochs",
                str(args.epochs),
                "--lr",
                repr(args.lr),
            ] + ([] if args.seed is None else ["--seed", str(args.seed)])
            return demo.main(options)
        return _fit_command(args)
    except UsageError as error:
        print(f"polyfit: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DivergenceError as error:
        print(f"polyfit: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    except (ValueError, TypeError, ImportError, OSError) as error:
        print(f"polyfit: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def main_exit() -> NoReturn:
    """The console script's entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()

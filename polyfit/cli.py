"""The `polyfit` command: fit a polynomial to the data in a file, or run the tutorial.

    polyfit demo [options]         the tutorial "Warm-up: numpy" (as python -m polyfit)
    polyfit fit DATA [options]     fit the data in a CSV, .npy or .npz file ('-': stdin)
    polyfit --version

Every message is one line on stderr: "polyfit: error: ..." or "polyfit: warning:
...", naming flags, never Python arguments.  Exit status: 0 done, 2 bad usage or
bad data, 3 training diverged, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

import numpy as np

from . import DivergenceError, PolyfitWarning, __version__, fit
from ._table import WHITESPACE, DataError, Table, read_xy

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: whoever read stdout went away

# polyfit.fit's arguments that have a flag; messages and remedies are shown with these
FLAGS = {
    "degree": "--degree",
    "lr": "--lr",
    "epochs": "--epochs",
    "method": "--method",
    "optimizer": "--optimizer",
    "seed": "--seed",
    "init": "--init",
    "tol": "--tol",
    "scale": "--scale",
    "log_every": "--log-every",
    "sample_weight": "--weight",
}
NEGATED = {"scale": "--no-scale"}

TUTORIAL_POINTS = 2000

READING_RULES = """\
reading DATA:
  A file starting with numpy's magic is a .npy array of columns; a zip file is a
  .npz file with 1-D arrays (--x/--y name them; default x and y).  Anything else
  is a text table, read by numpy's compiled loader:
  - the separator is tab, semicolon, comma or runs of whitespace: the one that
    splits the first lines alike (--delimiter sets it);
  - UTF-8, with or without a byte order mark; LF, CRLF or CR line ends; blank
    lines are skipped; fields may be quoted ("1.5");
  - the first line is a header if one of its fields is text (a leading '#' is
    dropped); --x/--y/--weight take a header name or a 0-based index (default
    0 and 1; no weights);
  - every line has as many fields as the header; the x and y fields (and the
    --weight field) are finite numbers, weights >= 0 and not all 0 (other
    columns may hold anything).  A missing or non-numeric value, a negative
    weight, a short or a long line is an error naming the file, the line and
    the column;
  - a line may hold up to 1 MiB, the table up to 10,000 columns; a NUL byte (a
    binary file) or UTF-16 text is refused.
  '-' reads the table from standard input."""

EXIT_STATUS = """\
exit status: 0 done, 2 bad usage or bad data (one line on stderr), 3 training
diverged, 130 interrupted (Ctrl-C)."""


class UsageError(Exception):
    """Bad usage or bad data: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the layout of descriptions; adds '(default: ...)' to an option's
    help unless the help already says what the default is."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default:" in text or action.default in (None, argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


# ------------------------------------------------------------------ option types


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


def _delimiter(text: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "whitespace": WHITESPACE, " ": WHITESPACE}
    if text.lower() in named:
        return named[text.lower()]
    if len(text) == 1 and text not in '"\r\n.+-' and not text.isalnum():
        return text
    raise argparse.ArgumentTypeError(
        f"one character such as ',' ';' '|', or 'tab', or 'whitespace'; not {text!r}"
    )


# ------------------------------------------------------------------ the parser


def _training_options(parser: argparse.ArgumentParser, tutorial: bool) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--degree", type=int, default=3, metavar="D", help="polynomial degree")
    group.add_argument(
        "--lr",
        type=_lr,
        default=1e-6 if tutorial else "auto",
        metavar="LR",
        help="learning rate: a number, or 'auto' for 1/(2 lambda_max), the largest "
        "step that lowers the loss every epoch",
    )
    group.add_argument("--epochs", type=int, default=2000, metavar="E", help="epochs of training")
    group.add_argument(
        "--method",
        default="exact",
        choices=["exact", "moments"],
        help="exact: a pass over the data every epoch; moments: one pass for the "
        "power sums, then the epochs on them",
    )
    group.add_argument(
        "--optimizer",
        default="gd",
        choices=["gd", "momentum", "rmsprop", "adam"],
        help="update rule (torch.optim's defaults)",
    )
    start = (
        "the tutorial's random normal start, a new one each run"
        if tutorial
        else "polyfit.fit's default start"
    )
    group.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help=f"start from numpy.random.default_rng(N).standard_normal(D + 1) (default: {start})",
    )
    group.add_argument(
        "--init",
        type=_init,
        default=None,
        metavar="C0,C1,...",
        help="start from these D + 1 coefficients, lowest power first; with --scale "
        f"they are in the scaled variable (default: {start})",
    )
    group.add_argument(
        "--tol",
        type=float,
        default=None,
        metavar="TOL",
        help="stop once an epoch lowers the loss by a relative amount <= TOL "
        "(default: none, run every epoch)",
    )
    group.add_argument(
        "--scale",
        dest="scale",
        action="store_true",
        help="train with x mapped onto [-1, 1]; the coefficients are reported in x "
        f"(default: {'off' if tutorial else 'on'})",
    )
    group.add_argument(
        "--no-scale",
        dest="scale",
        action="store_false",
        help=f"train on x as it is (default: {'on' if tutorial else 'off'})",
    )
    parser.set_defaults(scale=not tutorial)
    group.add_argument(
        "--log-every",
        type=int,
        default=100,
        metavar="K",
        help="print the loss after every K-th epoch",
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "--json",
        metavar="FILE",
        help="write the result, every setting needed to repeat the run and the "
        "printed losses as JSON; '-' writes it to stdout and the loss lines to "
        "stderr (default: none)",
    )
    group.add_argument(
        "--plot",
        metavar="FILE",
        help="save a figure of the data, the fit and the loss; the extension "
        "(.png, .pdf, .svg, ...) gives the format; needs matplotlib (default: none)",
    )
    group.add_argument(
        "--quiet",
        action="store_true",
        help="print no loss lines, only the Result line (default: off)",
    )


def _parser() -> _Parser:
    parser = _Parser(
        prog="polyfit",
        description="Fit a polynomial y = c0 + c1 x + ... + cd x^d by full-batch gradient "
        "descent\non the sum of squared errors (the PyTorch tutorial 'Warm-up: numpy').",
        epilog="Run 'polyfit COMMAND --help' for a command's options.\n" + EXIT_STATUS,
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"polyfit {__version__} (numpy {np.__version__})",
        help="print polyfit's and numpy's versions and exit",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )
    tutorial = commands.add_parser(
        "demo",
        help="run the PyTorch tutorial 'Warm-up: numpy' (as python -m polyfit)",
        description="Run the PyTorch tutorial 'Warm-up: numpy': fit sin(x) on "
        f"{TUTORIAL_POINTS} points in [-pi, pi]\nwith a cubic, print the loss every 100 "
        "epochs and the result.  With no options this is\nthe tutorial exactly (lr 1e-6, "
        "x unscaled, a random start), as python -m polyfit.",
        epilog=EXIT_STATUS,
        formatter_class=_Formatter,
    )
    _training_options(tutorial, tutorial=True)
    _output_options(tutorial)
    run = commands.add_parser(
        "fit",
        help="fit the data in a CSV, .npy or .npz file",
        description="Fit y = c0 + c1 x + ... + cd x^d to two columns of DATA, print the "
        "loss every\n--log-every epochs and the Result line (--weight: weighted by a third "
        "column).\nBy default the step is chosen (--lr auto) and x is scaled to [-1, 1]\n"
        "(--scale): right on data of any range.",
        epilog=READING_RULES + "\n\n" + EXIT_STATUS,
        formatter_class=_Formatter,
    )
    run.add_argument(
        "data",
        metavar="DATA",
        help="a text table (CSV, TSV, ...), a .npy file of columns, a .npz file of "
        "arrays, or '-' for a table on standard input",
    )
    data = run.add_argument_group("data")
    data.add_argument(
        "--x",
        metavar="COLUMN",
        help="the x column: header name or 0-based index (an array name for .npz) "
        "(default: 0, or x)",
    )
    data.add_argument(
        "--y",
        metavar="COLUMN",
        help="the y column: header name or 0-based index (an array name for .npz) "
        "(default: 1, or y)",
    )
    data.add_argument(
        "--weight",
        metavar="COLUMN",
        help="a column of sample weights >= 0: header name or 0-based index (an array "
        "name for .npz); the loss is sum w (p(x) - y)^2, a weight of 2 counts a row "
        "twice, 0 drops it (default: none, every row counts once)",
    )
    data.add_argument(
        "--delimiter",
        type=_delimiter,
        metavar="SEP",
        help="the separator: one character such as ',' or ';', 'tab', or "
        "'whitespace' (default: guessed from the first lines)",
    )
    _training_options(run, tutorial=False)
    _output_options(run)
    return parser


# ------------------------------------------------------------------ flags in messages


def _flag_value(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(_flag_value(item) for item in value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def remedy_flags(remedy: Mapping[str, object]) -> str:
    """polyfit.fit keyword arguments as flags: {'lr': 'auto', 'scale': True} ->
    '--lr auto --scale'.  An argument without a flag keeps its Python form."""
    parts = []
    for name, value in remedy.items():
        flag = FLAGS.get(name)
        if flag is None:
            parts.append(f"{name}={value!r}")
        elif isinstance(value, (bool, np.bool_)):
            parts.append(flag if value else NEGATED.get(name, f"{flag} False"))
        elif value is None:
            parts.append(f"no {flag}")
        else:
            parts.append(f"{flag} {_flag_value(value)}")
    return " ".join(parts)


_NAMES = "|".join(sorted(FLAGS, key=len, reverse=True))
_ASSIGNMENT = re.compile(rf"(?<![\w-])({_NAMES})=('[^']*'|\"[^\"]*\"|[^\s,;()]+)")
_SAMPLE_WEIGHT = re.compile(r"(?<![\w-])sample_weight(?![\w=(\[])")
_BARE = re.compile(rf"(?<![\w-])({_NAMES})(?![\w=(\[])")


def flag_words(text: str, bare: bool = True) -> str:
    """A message about polyfit.fit's arguments, in flags: "use scale=True" ->
    "use --scale", "lr=1e-07" -> "--lr 1e-07"; with bare, also "log_every must
    be >= 1" -> "--log-every must be >= 1".  Always one line."""

    def assignment(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2).strip("'\"")
        if value in ("True", "False"):
            return remedy_flags({name: value == "True"})
        return remedy_flags({name: value})

    text = _ASSIGNMENT.sub(assignment, text)
    text = _SAMPLE_WEIGHT.sub("--weight", text)  # never an ordinary word: always a flag
    if bare:
        text = _BARE.sub(lambda match: FLAGS[match.group(1)], text)
    return " ".join(text.split())


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """warnings.showwarning for the command: one line, flags for arguments."""
    if isinstance(message, PolyfitWarning):
        text = flag_words(message.problem, bare=False)
        if message.remedy:
            text += f"; try {remedy_flags(message.remedy)}"
    else:
        text = f"{message} ({category.__name__})"
    print(f"polyfit: warning: {' '.join(text.split())}", file=sys.stderr, flush=True)


def _divergence(error: DivergenceError, args: argparse.Namespace | None) -> str:
    """One line naming flags; uses the error's problem and remedy where it has them."""
    problem = getattr(error, "problem", None)
    remedy = getattr(error, "remedy", None)
    if problem is None:
        problem = (
            f"training diverged at epoch {error.epoch}: the loss or a coefficient became "
            f"non-finite with lr={error.lr:g}"
        )
    if remedy is None:
        safe = args is not None and args.lr == "auto" and args.scale
        remedy = {"lr": error.lr / 10} if safe else {"lr": "auto", "scale": True}
    text = flag_words(str(problem), bare=False)
    return f"{text}; try {remedy_flags(remedy)}" if remedy else text


# ------------------------------------------------------------------ running


def _check_output(value: str | None, flag: str, data: str | None) -> None:
    """Refuse, before any work, an output that could not be written."""
    if value is None or (value == "-" and flag == "--json"):
        return
    if value == "-":
        raise UsageError(f"{flag} -: a figure needs a file name")
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{flag} {value}: a directory, not a file name")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {value}: no directory {str(parent)!r}")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag} {value}: not writable")
    if data not in (None, "-") and path.exists() and os.path.samefile(path, str(data)):
        raise UsageError(f"{flag} {value}: that is the data file")


def _check_plot(value: str | None) -> None:
    if value is None:
        return
    try:  # optional (extra [plot]); imported as Any, so no stubs are needed
        backends: Any = importlib.import_module("matplotlib.backend_bases")
    except ImportError:
        raise UsageError('--plot needs matplotlib: pip install "polyfit[plot]"') from None
    supported = sorted(backends.FigureCanvasBase.get_supported_filetypes())
    suffix = Path(value).suffix.lower().lstrip(".")
    if suffix not in supported:
        what = f"unsupported format {suffix!r}" if suffix else "no file extension"
        raise UsageError(f"--plot {value}: {what}; use one of {', '.join(supported)}")


def _tutorial_data() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-math.pi, math.pi, TUTORIAL_POINTS)
    return x, np.sin(x)


def _settings(args: argparse.Namespace, table: Table | None, init: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"command": args.command}
    if table is None:
        settings["data"] = f"sin(x) on {TUTORIAL_POINTS} points in [-pi, pi]"
    else:
        settings.update(
            data=table.name,
            format=table.format,
            x=table.x_column,
            y=table.y_column,
            weight=table.weight_column,
            delimiter=table.separator,
            rows=table.rows,
        )
    settings.update(
        degree=args.degree,
        lr=args.lr,
        epochs=args.epochs,
        method=args.method,
        optimizer=args.optimizer,
        seed=args.seed,
        init=None if init is None else [float(c) for c in init],
        tol=args.tol,
        scale=args.scale,
        log_every=args.log_every,
    )
    return settings


def _json_number(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    data = getattr(args, "data", None)
    _check_output(args.json, "--json", data)
    _check_output(args.plot, "--plot", data)
    _check_plot(args.plot)
    report: IO[str] = sys.stderr if args.json == "-" else sys.stdout

    table = None
    init = args.init
    seed = args.seed
    if args.command == "fit":
        table = read_xy(
            str(data), args.x, args.y, args.delimiter, stdin=sys.stdin.buffer, weight=args.weight
        )
        x, y = table.x, table.y
    else:
        x, y = _tutorial_data()
        if init is None and seed is None:  # the tutorial's random start, drawn here
            init = np.random.default_rng().standard_normal(args.degree + 1)

    logged: dict[int, float] = {}

    def show(epoch: int, loss: float, coef: np.ndarray) -> None:
        logged[epoch] = loss
        if not args.quiet:
            print(epoch, loss, file=report, flush=True)

    result = fit(
        x,
        y,
        args.degree,
        sample_weight=None if table is None else table.w,
        lr=args.lr,
        epochs=args.epochs,
        init=init,
        seed=seed,
        log_every=args.log_every,
        callback=show,
        method=args.method,
        tol=args.tol,
        scale=args.scale,
        optimizer=args.optimizer,
    )
    print(f"Result: {result}", file=report, flush=True)
    if args.json is not None:
        document: dict[str, Any] = {
            "coef": result.coef.tolist(),
            "loss": result.loss,
            "lr": result.lr,
            "epochs_run": result.epochs_run,
            "converged": result.converged,
            "domain": None if result.domain is None else list(result.domain),
            "optimal_loss": _json_number(getattr(result, "optimal_loss", None)),
            "settings": _settings(args, table, init),
            "versions": {
                "polyfit": __version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
            "argv": ["polyfit", *argv],
            "losses": {str(epoch): loss for epoch, loss in logged.items()},
        }
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write(args.json, "--json", lambda path: Path(path).write_text(text))
    if args.plot is not None:
        figure = result.plot(x, y)
        _write(args.plot, "--plot", figure.savefig)
    return EXIT_OK


def _write(path: str, flag: str, write: Any) -> None:
    try:
        write(path)
    except OSError as error:
        raise UsageError(f"{flag} {path}: {error.strerror or error}") from None


def _error(text: str) -> None:
    print(f"polyfit: error: {' '.join(str(text).split())}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The command; returns the exit status (errors are one line on stderr)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            if not arguments:
                parser.print_help(sys.stderr)
                _error("no command: try 'polyfit demo' or 'polyfit fit DATA'")
                return EXIT_USAGE
            try:
                args = parser.parse_args(arguments)
            except SystemExit as done:  # --help and --version print and exit
                return done.code if isinstance(done.code, int) else EXIT_OK
            if args.command is None:
                raise UsageError("no command: try 'polyfit demo' or 'polyfit fit DATA'")
            return _run(args, arguments)
    except (UsageError, DataError) as error:
        _error(str(error))
    except DivergenceError as error:
        _error(_divergence(error, args))
        return EXIT_DIVERGED
    except (ValueError, TypeError) as error:  # polyfit.fit's checks, in flags
        _error(flag_words(str(error)))
    except KeyboardInterrupt:
        print("polyfit: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of stdout left (polyfit fit data.csv | head): stop quietly;
        # point stdout at devnull so that the final flush does not fail again
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ImportError, OSError, MemoryError) as error:
        _error(str(error) or type(error).__name__)
    return EXIT_USAGE


def main_exit() -> NoReturn:
    """The console script's entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()

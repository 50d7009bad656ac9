"""The `polyfit` command: demo, fit from files and stdin, JSON, plots, help,
warnings, errors in one line naming flags, exit codes, Ctrl-C."""

import argparse
import io
import json
import math
import re
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

import polyfit
import polyfit.reference
from polyfit import cli

CHILD = (
    "import signal, sys\n"
    # a test runner may start children with SIGINT ignored: restore Ctrl-C
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from polyfit.cli import main_exit\n"
    "sys.argv[0] = 'polyfit'\n"
    "main_exit()\n"
)


def run(*args):
    """The console script's code path, in-process: the exit status."""
    return cli.main([str(a) for a in args])


def errors(capsys):
    """stderr as lines, checking that each is one 'polyfit: ...' line."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert all(line.startswith("polyfit: ") for line in lines), err
    return lines


@pytest.fixture
def quadratic():
    x = np.linspace(0, 3, 31)
    y = 1.0 + 0.5 * x + 1.5 * x**2
    return x, y


@pytest.fixture
def data(tmp_path, quadratic):
    x, y = quadratic
    path = tmp_path / "data.csv"
    path.write_text(
        "x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist(), strict=True))
    )
    return path


TUTORIAL_X = np.linspace(-math.pi, math.pi, 2000)


# ------------------------------------------------------------------ demo


def test_console_script_runs_the_demo_with_a_seed(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "demo", "--seed", "3"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # python -c puts the current folder first on sys.path: not the checkout
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    expected = polyfit.fit(TUTORIAL_X, np.sin(TUTORIAL_X), 3, lr=1e-6, scale=False, seed=3)
    assert len(lines) == 21 and lines[-1] == f"Result: {expected}"
    assert lines[0] == f"99 {expected.losses[99]}"


def test_demo_without_options_is_the_tutorial(tmp_path, capsys):
    """The tutorial's settings and a random start; the JSON (an output option
    only) tells the start, and the numpy reference follows the same trace."""
    assert run("demo", "--json", tmp_path / "demo.json") == 0
    out = capsys.readouterr().out.splitlines()
    document = json.loads((tmp_path / "demo.json").read_text())
    settings = document["settings"]
    assert {k: settings[k] for k in ("degree", "lr", "epochs", "method", "optimizer")} == {
        "degree": 3,
        "lr": 1e-6,
        "epochs": 2000,
        "method": "exact",
        "optimizer": "gd",
    }
    assert settings["scale"] is False and settings["seed"] is None and len(settings["init"]) == 4
    reference = polyfit.reference.fit(
        TUTORIAL_X, np.sin(TUTORIAL_X), 3, lr=1e-6, init=np.array(settings["init"])
    )
    assert len(out) == 21
    for t, line in zip(range(99, 2000, 100), out[:-1], strict=True):
        epoch, loss = line.split(" ")
        assert int(epoch) == t and float(loss) == pytest.approx(reference.losses[t], rel=1e-9)
    np.testing.assert_allclose(document["coef"], reference.coef, rtol=1e-9)
    assert document["domain"] is None


def test_demo_takes_the_training_options(capsys):
    options = ["--lr", "auto", "--degree", "2", "--epochs", "300", "--seed", "1"]
    assert run("demo", *options, "--optimizer", "adam", "--scale", "--log-every", "150") == 0
    expected = polyfit.fit(
        TUTORIAL_X,
        np.sin(TUTORIAL_X),
        2,
        lr="auto",
        epochs=300,
        seed=1,
        optimizer="adam",
        scale=True,
    )
    assert capsys.readouterr().out.splitlines() == [
        f"149 {expected.losses[149]}",
        f"299 {expected.losses[299]}",
        f"Result: {expected}",
    ]


# ------------------------------------------------------------------ fit


@pytest.mark.parametrize("header", [True, False])
def test_fit_defaults_are_auto_lr_and_scaling(tmp_path, quadratic, capsys, header):
    x, y = quadratic
    path = tmp_path / "data.csv"
    rows = "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist(), strict=True))
    path.write_text(("x,y\n" if header else "") + rows)
    assert run("fit", path, "--degree", 2, "--epochs", 300, "--seed", 0) == 0
    out = capsys.readouterr().out.splitlines()
    expected = polyfit.fit(x, y, 2, lr="auto", scale=True, epochs=300, seed=0)
    assert out == [f"{t} {expected.losses[t]}" for t in (99, 199, 299)] + [f"Result: {expected}"]
    assert run("fit", path, "--degree", 2, "--epochs", 50, "--seed", 0, "--no-scale") == 0
    unscaled = polyfit.fit(x, y, 2, lr="auto", scale=False, epochs=50, seed=0)
    assert capsys.readouterr().out.splitlines()[-1] == f"Result: {unscaled}"


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("id;temp;time\n{rows}", ["--x", "time", "--y", "1"]),  # semicolons, by name and index
        ("\ufeffid\ttemp\ttime\r\n{rows}", ["--x", "time", "--y", "temp"]),  # BOM, tab, CRLF
        ('"id","temp","time"\n{rows}', ["--x", "2", "--y", "temp", "--delimiter", ","]),
    ],
)
def test_fit_reads_the_files_people_have(tmp_path, quadratic, capsys, text, options):
    x, y = quadratic
    separator = {"i": ";", "\ufeff": "\t", '"': ","}[text[0]]
    end = "\r\n" if "\r\n" in text else "\n"
    rows = "".join(
        separator.join([str(i), repr(b), repr(a)]) + end
        for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
    )
    path = tmp_path / "data.txt"
    path.write_text(text.format(rows=rows), newline="")
    expected = polyfit.fit(x, y, 2, lr="auto", scale=True, epochs=50, seed=1)
    assert run("fit", path, *options, "--degree", 2, "--epochs", 50, "--seed", 1) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Result: {expected}"


def test_fit_reads_standard_input(quadratic, monkeypatch, capsys):
    x, y = quadratic
    text = "x y\n" + "".join(f"{a!r} {b!r}\n" for a, b in zip(x.tolist(), y.tolist(), strict=True))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert run("fit", "-", "--degree", 2, "--epochs", 60, "--seed", 4, "--quiet") == 0
    expected = polyfit.fit(x, y, 2, lr="auto", scale=True, epochs=60, seed=4)
    assert capsys.readouterr().out == f"Result: {expected}\n"


def test_npy_and_npz(tmp_path, quadratic, capsys):
    x, y = quadratic
    np.save(tmp_path / "table.npy", np.column_stack([y, x]))
    np.savez(tmp_path / "arrays.npz", x=x, y=y)
    expected = polyfit.fit(x, y, 2, lr="auto", scale=True, epochs=40, seed=2)
    for name, columns in (("table.npy", ["--x", "1", "--y", "0"]), ("arrays.npz", [])):
        assert (
            run("fit", tmp_path / name, *columns, "--degree", 2, "--epochs", 40, "--seed", 2) == 0
        )
        assert capsys.readouterr().out.splitlines()[-1] == f"Result: {expected}"


# ------------------------------------------------------------------ output


def test_json_to_stdout_and_the_report_to_stderr(data, quadratic, capsys):
    x, y = quadratic
    options = ["--degree", "2", "--epochs", "250", "--seed", "0", "--method", "moments"]
    argv = ["fit", str(data), *options, "--optimizer", "gd", "--log-every", "50", "--json", "-"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # exactly one document, nothing else
    expected = polyfit.fit(
        x, y, 2, lr="auto", scale=True, epochs=250, seed=0, method="moments", optimizer="gd"
    )
    assert captured.err.splitlines() == [  # no warning: 250 epochs reach the optimum
        *(f"{t} {expected.losses[t]}" for t in (49, 99, 149, 199, 249)),
        f"Result: {expected}",
    ]
    assert document["coef"] == expected.coef.tolist() and document["loss"] == expected.loss
    assert document["lr"] == expected.lr and document["domain"] == list(expected.domain)
    assert document["settings"] == {
        "command": "fit",
        "data": str(data),
        "format": "text",
        "x": "x",
        "y": "y",
        "weight": None,
        "delimiter": ",",
        "rows": 31,
        "degree": 2,
        "lr": "auto",
        "epochs": 250,
        "method": "moments",
        "optimizer": "gd",
        "seed": 0,
        "init": None,
        "tol": None,
        "scale": True,
        "log_every": 50,
    }
    assert document["versions"]["polyfit"] == polyfit.__version__
    assert document["versions"]["numpy"] == np.__version__
    assert document["argv"] == ["polyfit", *argv]
    assert list(document["losses"]) == ["49", "99", "149", "199", "249"]
    assert document["losses"]["249"] == expected.losses[249]
    assert document["epochs_run"] == 250 and document["converged"] is False


def test_json_file_and_plot(tmp_path, data, quadratic, capsys):
    x, y = quadratic
    code = run(
        "fit", data, "--degree", 2, "--epochs", 30, "--seed", 0, "--quiet",
        "--json", tmp_path / "out.json", "--plot", tmp_path / "fit.svg",
    )  # fmt: skip
    assert code == 0
    expected = polyfit.fit(x, y, 2, lr="auto", scale=True, epochs=30, seed=0)
    assert capsys.readouterr().out == f"Result: {expected}\n"
    assert json.loads((tmp_path / "out.json").read_text())["coef"] == expected.coef.tolist()
    assert (tmp_path / "fit.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "{tmp}/nodir/f.json"], "--json {tmp}/nodir/f.json: no directory '{tmp}/nodir'"),
        (["--json", "{tmp}"], "--json {tmp}: a directory, not a file name"),
        (["--json", "{data}"], "--json {data}: that is the data file"),
        (["--plot", "-"], "--plot -: a figure needs a file name"),
        (
            ["--plot", "{tmp}/fit.xyz"],
            "--plot {tmp}/fit.xyz: unsupported format 'xyz'; use one of {formats}",
        ),
        (["--plot", "{tmp}/fit"], "--plot {tmp}/fit: no file extension; use one of {formats}"),
    ],
)
def test_outputs_are_checked_before_the_fit(tmp_path, data, capsys, options, message):
    from matplotlib.backend_bases import FigureCanvasBase

    formats = ", ".join(sorted(FigureCanvasBase.get_supported_filetypes()))
    filled = [o.format(tmp=tmp_path, data=data) for o in options]
    assert run("fit", data, "--epochs", 10**9, *filled) == 2  # would take hours
    captured = capsys.readouterr()
    assert captured.out == ""  # no loss line: the fit never started
    expected = message.format(tmp=tmp_path, data=data, formats=formats)
    assert captured.err == f"polyfit: error: {expected}\n"


def test_plot_without_matplotlib_is_refused_before_the_fit(data, monkeypatch, capsys):
    for name in ("matplotlib", "matplotlib.backend_bases", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)
    assert run("fit", data, "--epochs", 10**9, "--plot", "fit.png") == 2
    assert capsys.readouterr().err == (
        'polyfit: error: --plot needs matplotlib: pip install "polyfit[plot]"\n'
    )


# ------------------------------------------------------------------ help


def _subcommands():
    parser = cli._parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, commands.choices


def test_every_option_has_help_and_its_default():
    parser, commands = _subcommands()
    assert set(commands) == {"demo", "fit"}
    for command in (parser, *commands.values()):
        formatter = command._get_formatter()
        for action in command._actions:
            if action.option_strings and action.dest not in ("help", "version"):
                text = formatter._get_help_string(action) % vars(action)
                assert len(text) > 20 and "(default: " in text, (command.prog, action.dest)
        assert command.description


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("fit", ["--lr LR", "(default: auto)", "(default: 3)", "(default: on)", "reading DATA:"]),
        ("demo", ["--lr LR", "(default: 1e-06)", "(default: off)", "the tutorial's random"]),
    ],
)
def test_command_help(capsys, command, shown):
    assert run(command, "--help") == 0
    out = " ".join(capsys.readouterr().out.split())
    for text in [*shown, "exit status: 0 done, 2 bad usage or bad data"]:
        assert text in out


def test_version_and_no_command(capsys):
    assert run("--version") == 0
    assert capsys.readouterr().out == f"polyfit {polyfit.__version__} (numpy {np.__version__})\n"
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: polyfit [-h] [--version] COMMAND ...\n")
    assert "demo " in err and "fit " in err and "exit status:" in err
    assert err.splitlines()[-1] == (
        "polyfit: error: no command: try 'polyfit demo' or 'polyfit fit DATA'"
    )


# ------------------------------------------------------------------ errors


HELP = " (see 'polyfit fit --help')"
SEPARATORS = "one character such as ',' ';' '|', or 'tab', or 'whitespace'"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["fit", "{tmp}/missing.csv"], 2, "{tmp}/missing.csv: no such file"),
        (["fit", "{data}", "--x", "nope"], 2, "--x nope: no column 'nope' in {data}; its columns: x, y"),  # noqa: E501
        (["fit", "{bad}"], 2, "{bad}, line 3, column 'y' (index 1): missing value"),
        (["fit", "{data}", "--degree", "-1"], 2, "--degree must be >= 0, got -1"),
        (["fit", "{data}", "--log-every", "0"], 2, "--log-every must be >= 1, got 0"),
        (["fit", "{data}", "--epochs", "-3"], 2, "--epochs must be >= 0, got -3"),
        (["fit", "{data}", "--init", "1,2"], 2, "--init must have --degree + 1 = 4 coefficients, got 2"),  # noqa: E501
        (["fit", "{data}", "--lr", "0"], 2, "--lr must be finite and > 0, got 0.0"),
        (["fit", "{data}", "--tol", "-1"], 2, "--tol must be finite and >= 0, got -1.0"),
        (["fit", "{data}", "--lr", "fast"], 2, "argument --lr: not a number or 'auto': 'fast'" + HELP),  # noqa: E501
        (["fit", "{data}", "--delimiter", "ab"], 2, f"argument --delimiter: {SEPARATORS}; not 'ab'" + HELP),  # noqa: E501
        (["fit", "{data}", "--bogus"], 2, "unrecognized arguments: --bogus (see 'polyfit --help')"),
        (["explode"], 2, "argument COMMAND: invalid choice: 'explode' (choose from {choices}) (see 'polyfit --help')"),  # noqa: E501
    ],
)  # fmt: skip
def test_errors_are_one_line_naming_flags(tmp_path, data, capsys, args, code, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,\n")
    filled = [a.format(data=data, tmp=tmp_path, bad=bad) for a in args]
    assert run(*filled) == code
    lines = errors(capsys)
    # argparse quotes the choices up to Python 3.12.7, not after
    expected = {
        "polyfit: error: " + message.format(data=data, tmp=tmp_path, bad=bad, choices=choices)
        for choices in ("'demo', 'fit'", "demo, fit")
    }
    assert len(lines) == 1 and lines[0] in expected


def test_divergence_is_one_line_naming_flags(data, capsys):
    assert run("fit", data, "--lr", "10", "--no-scale") == 3
    (line,) = errors(capsys)
    assert re.fullmatch(
        r"polyfit: error: training diverged at epoch \d+\b.*; try --lr auto --scale", line
    )
    assert "lr=" not in line and "scale=" not in line


def test_divergence_uses_the_errors_problem_and_remedy(data, monkeypatch, capsys):
    """polyfit.DivergenceError gains .problem and .remedy (issue 13): shown as flags."""
    error = polyfit.DivergenceError(7, 0.5, np.zeros(4))
    error.problem = "training diverged at epoch 7 with lr=0.5 (scale=False)"
    error.remedy = {"lr": "auto", "scale": True, "tol": 1e-9}

    def diverging(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli, "fit", diverging)
    assert run("fit", data) == 3
    assert errors(capsys) == [
        "polyfit: error: training diverged at epoch 7 with --lr 0.5 (--no-scale); "
        "try --lr auto --scale --tol 1e-09"
    ]


# ------------------------------------------------------------------ warnings


def test_warnings_are_one_line_naming_flags(data, monkeypatch, capsys):
    real_fit = polyfit.fit

    def warning_fit(*args, **kwargs):
        warnings.warn(
            polyfit.PolyfitWarning(
                "the loss ended 3% above the least-squares optimum\n(after 2000 epochs)",
                {"method": "moments", "epochs": 200000, "scale": False, "threads": 2},
            ),
            stacklevel=2,
        )
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=2)
        with warnings.catch_warnings():  # 5 epochs do not converge: not this test's subject
            warnings.simplefilter("ignore", polyfit.ConvergenceWarning)
            return real_fit(*args, **kwargs)

    monkeypatch.setattr(cli, "fit", warning_fit)
    assert run("fit", data, "--epochs", 5, "--quiet") == 0
    assert errors(capsys) == [
        "polyfit: warning: the loss ended 3% above the least-squares optimum (after 2000 "
        "epochs); try --method moments --epochs 200000 --no-scale threads=2",
        "polyfit: warning: overflow encountered in multiply (RuntimeWarning)",
    ]


def test_polyfits_own_warning_names_flags(tmp_path, capsys):
    """An ill-conditioned moments fit warns (ConditioningWarning) in one line,
    with flags and without Python arguments."""
    x = np.linspace(0, 1000, 200)
    np.savez(tmp_path / "wide.npz", x=x, y=np.sqrt(x))
    options = ["--method", "moments", "--no-scale", "--degree", "6", "--lr", "1e-40"]
    assert run("fit", tmp_path / "wide.npz", *options, "--epochs", 2, "--quiet") == 0
    lines = errors(capsys)  # the conditioning warning, then (2 epochs) the convergence one
    assert len(lines) == 2 and all(line.startswith("polyfit: warning: ") for line in lines)
    assert "ill-conditioned" in lines[0] and "ended" in lines[1]
    for line in lines:
        assert "--scale" in line and "scale=" not in line and "method=" not in line


def test_flag_words():
    assert cli.flag_words("use scale=True, a lower degree, or method='exact'.") == (
        "use --scale, a lower --degree, or --method exact."
    )
    assert (
        cli.flag_words("try a smaller lr (e.g. lr=1e-07)") == "try a smaller --lr (e.g. --lr 1e-07)"
    )
    assert cli.flag_words("log_every must be >= 1", bare=False) == "log_every must be >= 1"
    assert cli.remedy_flags({"init": [0.0, 1.5], "seed": 3, "tol": None, "lr": 1e-3}) == (
        "--init 0.0,1.5 --seed 3 no --tol --lr 0.001"
    )


# ------------------------------------------------------------------ --weight


def _write_table(path, columns):
    path.write_text(
        "x,y,w\n"
        + "".join(
            ",".join(repr(float(v)) for v in row) + "\n" for row in zip(*columns, strict=True)
        )
    )


@pytest.mark.parametrize("method", ["exact", "moments"])
def test_weight_column_equals_repeated_rows(tmp_path, capsys, method):
    """--weight w: the fit of the file with each row repeated w times, to 1e-10,
    and polyfit.fit(..., sample_weight=w) itself, bit for bit."""
    rng = np.random.default_rng(8)
    x = rng.uniform(0.0, 5.0, 200)
    y = 1.0 - x + 0.4 * x**2 + 0.1 * rng.standard_normal(x.size)
    w = rng.integers(0, 4, x.size).astype(np.float64)
    w[[x.argmin(), x.argmax()]] = 1.0
    _write_table(tmp_path / "weighted.csv", (x, y, w))
    counts = w.astype(np.int64)
    x_repeated, y_repeated = np.repeat(x, counts), np.repeat(y, counts)
    _write_table(tmp_path / "repeated.csv", (x_repeated, y_repeated, np.zeros(x_repeated.size)))
    options = ["--degree", "2", "--method", method, "--quiet", "--json", "-"]
    assert run("fit", tmp_path / "weighted.csv", "--weight", "w", *options) == 0
    weighted = json.loads(capsys.readouterr().out)
    assert run("fit", tmp_path / "repeated.csv", *options) == 0
    repeated = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(weighted["coef"], repeated["coef"], rtol=1e-10)
    for key in ("loss", "optimal_loss", "lr"):
        assert weighted[key] == pytest.approx(repeated[key], rel=1e-10)
    expected = polyfit.fit(x, y, 2, sample_weight=w, method=method)
    assert weighted["coef"] == expected.coef.tolist() and weighted["loss"] == expected.loss
    assert weighted["settings"]["weight"] == "w" and repeated["settings"]["weight"] is None
    assert weighted["settings"]["rows"] == 200
    assert "--weight" in weighted["argv"]


def test_weight_errors_and_warnings_are_one_line_naming_the_flag(tmp_path, capsys):
    _write_table(tmp_path / "negative.csv", ([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [1.0, -1.0, 1.0]))
    assert run("fit", tmp_path / "negative.csv", "--weight", "w") == 2
    assert errors(capsys) == [
        f"polyfit: error: {tmp_path / 'negative.csv'}, line 3, column 'w' (index 2, --weight): "
        "'-1.0' is negative; a weight must be >= 0"
    ]
    _write_table(tmp_path / "zero.csv", ([0.0, 1.0], [1.0, 2.0], [0.0, 0.0]))
    assert run("fit", tmp_path / "zero.csv", "--weight", "2") == 2
    assert errors(capsys) == [
        f"polyfit: error: {tmp_path / 'zero.csv'}: --weight 2: every weight is 0, so no row counts"
    ]
    assert run("fit", tmp_path / "zero.csv", "--weight", "mass") == 2
    assert errors(capsys) == [
        f"polyfit: error: --weight mass: no column 'mass' in {tmp_path / 'zero.csv'}; its "
        "columns: x, y, w"
    ]
    _write_table(tmp_path / "few.csv", ([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 0.0, 4.0], [1, 0, 0, 2]))
    assert run("fit", tmp_path / "few.csv", "--weight", "w", "--epochs", "0", "--quiet") == 0
    assert errors(capsys) == [
        "polyfit: warning: 2 distinct x of nonzero --weight for degree 3: infinitely many "
        "polynomials of degree 3 fit these data equally well; the fit returns one of them; "
        "try --degree 1"
    ]


def test_weight_from_npz_and_npy(tmp_path, capsys):
    x = np.linspace(0.0, 2.0, 30)
    y, w = np.exp(x), np.linspace(0.1, 3.0, 30)
    np.savez(tmp_path / "arrays.npz", x=x, y=y, sigma=w)
    np.save(tmp_path / "table.npy", np.column_stack([w, x, y]))
    expected = polyfit.fit(x, y, 2, sample_weight=w)
    for name, columns in (
        ("arrays.npz", ["--weight", "sigma"]),
        ("table.npy", ["--x", "1", "--y", "2", "--weight", "0"]),
    ):
        assert run("fit", tmp_path / name, *columns, "--degree", 2, "--quiet") == 0
        assert capsys.readouterr().out == f"Result: {expected}\n"


# ------------------------------------------------------------------ Ctrl-C and pipes


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_is_one_line_and_status_130(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "demo", "--epochs", "1000000000", "--log-every", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        first = child.stdout.readline()  # the fit is running
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()  # a child that did not stop must not outlive the test
        child.wait()
    assert first.startswith("999 ")
    assert child.returncode == 130
    assert err == "polyfit: interrupted\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_closed_pipe_stops_quietly(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "demo", "--epochs", "1000000000", "--log-every", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        child.stdout.readline()
        child.stdout.close()  # as `polyfit demo | head -1` does
        err = child.stderr.read()
        child.wait(timeout=120)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 141 and err == b""


def test_main_restores_showwarning(data, capsys):
    """main() shows warnings its way only while it runs."""
    before = warnings.showwarning
    assert cli.main(["fit", str(data), "--epochs", "1", "--quiet"]) == 0
    assert warnings.showwarning is before

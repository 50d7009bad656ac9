"""The `polyfit` command: demo, fit from CSV/.npy/.npz, JSON, plots, exit codes."""

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

import polyfit
from polyfit import cli


def run(*args):
    """The installed console script's code path, in-process (exit code, out, err)."""
    return cli.main([str(a) for a in args])


@pytest.fixture
def quadratic():
    x = np.linspace(0, 3, 31)
    y = 1.0 + 0.5 * x + 1.5 * x**2
    return x, y


def test_console_script_is_installed_and_runs_the_demo():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from polyfit.cli import main_exit; main_exit()",
            "demo",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 21 and lines[0].startswith("99 ") and lines[-1].startswith("Result: y = ")
    x = np.linspace(-math.pi, math.pi, 2000)
    expected = polyfit.fit(x, np.sin(x), lr=1e-6, scale=False, seed=3)
    assert lines[-1] == f"Result: {expected}"


@pytest.mark.parametrize("header", [True, False])
def test_fit_csv_with_and_without_header(tmp_path, quadratic, capsys, header):
    x, y = quadratic
    path = tmp_path / "data.csv"
    rows = "\n".join(f"{a},{b}" for a, b in zip(x, y, strict=True))
    path.write_text(("x,y\n" if header else "") + rows + "\n")
    assert (
        run(
            "fit",
            path,
            "--degree",
            2,
            "--lr",
            "auto",
            "--epochs",
            300,
            "--seed",
            0,
            "--log-every",
            100,
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    expected = polyfit.fit(x, y, 2, lr="auto", epochs=300, seed=0, scale=False)
    assert [line.split()[0] for line in out[:-1]] == ["99", "199", "299"]
    assert float(out[0].split()[1]) == expected.losses[99]
    assert out[-1] == f"Result: {expected}"


def test_columns_by_name_and_index(tmp_path, quadratic, capsys):
    x, y = quadratic
    path = tmp_path / "wide.csv"
    path.write_text(
        "id,temp,time\n"
        + "\n".join(f"{i},{b},{a}" for i, (a, b) in enumerate(zip(x, y, strict=True)))
        + "\n"
    )
    expected = polyfit.fit(x, y, 2, lr="auto", epochs=50, seed=1, scale=False)
    assert (
        run(
            "fit",
            path,
            "--x",
            "time",
            "--y",
            "1",
            "--degree",
            2,
            "--lr",
            "auto",
            "--epochs",
            50,
            "--seed",
            1,
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == f"Result: {expected}"


def test_npy_and_npz(tmp_path, quadratic, capsys):
    x, y = quadratic
    np.save(tmp_path / "table.npy", np.column_stack([x, y]))
    np.savez(tmp_path / "arrays.npz", x=x, y=y)
    expected = polyfit.fit(x, y, 2, lr="auto", epochs=40, seed=2, scale=False)
    for name in ("table.npy", "arrays.npz"):
        assert (
            run("fit", tmp_path / name, "--degree", 2, "--lr", "auto", "--epochs", 40, "--seed", 2)
            == 0
        )
        assert capsys.readouterr().out.splitlines()[-1] == f"Result: {expected}"


def test_json_and_plot_outputs(tmp_path, quadratic):
    x, y = quadratic
    np.savez(tmp_path / "arrays.npz", x=x, y=y)
    code = run(
        "fit",
        tmp_path / "arrays.npz",
        "--degree",
        2,
        "--lr",
        "auto",
        "--epochs",
        250,
        "--seed",
        0,
        "--method",
        "moments",
        "--optimizer",
        "adam",
        "--log-every",
        50,
        "--json",
        tmp_path / "out.json",
        "--plot",
        tmp_path / "fit.png",
    )
    assert code == 0
    document = json.loads((tmp_path / "out.json").read_text())
    expected = polyfit.fit(
        x, y, 2, lr="auto", epochs=250, seed=0, method="moments", optimizer="adam", scale=False
    )
    assert document["coef"] == expected.coef.tolist() and document["loss"] == expected.loss
    assert document["settings"]["method"] == "moments" and document["lr"] == expected.lr
    assert list(document["losses"]) == ["49", "99", "149", "199", "249"]
    assert document["losses"]["249"] == expected.losses[249]
    assert (tmp_path / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["fit", "missing.csv"], 2, "no such file"),
        (["fit", "{data}", "--x", "nope"], 2, "no column 'nope'"),
        (["fit", "{data}", "--y", "7"], 2, "out of range"),
        (["fit", "{data}", "--degree", "-1"], 2, "degree"),
        (["fit", "{data}", "--lr", "fast"], 2, "lr"),
        (["fit", "{data}", "--lr", "1"], 3, "diverged"),
        (["fit", "{text}"], 2, "not a table of numbers"),
        (["explode"], 2, "invalid choice"),
        ([], 2, "required"),
    ],
)
def test_errors_are_one_line_with_exit_codes(tmp_path, quadratic, capsys, args, code, words):
    x, y = quadratic
    data = tmp_path / "data.csv"
    data.write_text("\n".join(f"{a},{b}" for a, b in zip(x * 10, y, strict=True)) + "\n")
    text = tmp_path / "text.csv"
    text.write_text("a,b\nx,y\n")
    filled = [a.format(data=data, text=text) for a in args]
    assert run(*filled) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert re.match(r"polyfit: ", err)


def test_plot_method_writes_a_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    x = np.linspace(-1, 1, 100)
    result = polyfit.fit(x, x**3, 3, lr="auto", epochs=100, seed=0)
    figure = result.plot(x, x**3)
    data_axes, loss_axes = figure.axes
    assert loss_axes.get_yscale() == "log"
    curve = data_axes.lines[0]
    np.testing.assert_allclose(curve.get_ydata(), result.predict(curve.get_xdata()))
    np.testing.assert_allclose(loss_axes.lines[0].get_ydata(), result.losses)
    figure.savefig(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_progress_bar_over_epochs(capsys):
    x = np.linspace(-1, 1, 400_000)
    y = np.sin(3 * x)
    with_bar = polyfit.fit(x, y, 3, lr=1e-8, epochs=400, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "polyfit" in err and "400/400" in err  # tqdm writes to stderr
    without = polyfit.fit(x, y, 3, lr=1e-8, epochs=400, seed=0)
    assert with_bar.coef.tobytes() == without.coef.tobytes()
    assert with_bar.losses.tobytes() == without.losses.tobytes()
    short = polyfit.fit(x[:100], y[:100], 3, lr=1e-3, epochs=50, seed=0, progress=True)
    assert capsys.readouterr().err == "" and short.epochs_run == 50  # done in one chunk
    with pytest.raises(TypeError, match="progress"):
        polyfit.fit(x[:10], y[:10], progress="yes")

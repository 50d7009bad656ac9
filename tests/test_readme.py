"""Every ```python block of README.md runs, in order, as one script."""

import re
import warnings
from pathlib import Path

import dask
import numpy as np

import polyfit

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_python_blocks_are_found():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    assert blocks[0].startswith("import numpy as np\nimport polyfit\n")
    assert "lr=1e-6, scale=False, seed=0" in blocks[0]  # the tutorial's call


def test_readme_runs_in_sequence(tmp_path, monkeypatch):
    """Skipping nothing, in a temporary folder (a block saves a file), with dask's
    synchronous scheduler (no cluster).  The only warning is the one README
    announces: the tutorial's 2000 plain steps end 3 % above the optimum."""
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    with warnings.catch_warnings(record=True) as caught, dask.config.set(scheduler="synchronous"):
        warnings.simplefilter("always")
        for number, block in enumerate(python_blocks(README.read_text(encoding="utf-8"))):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    messages = [str(w.message) for w in caught]
    assert len(caught) == 1 and issubclass(caught[0].category, polyfit.ConvergenceWarning), messages
    assert "ended 3% above the least-squares optimum" in messages[0]
    assert (tmp_path / "stats.npz").is_file()
    # what the blocks claim
    assert namespace["result"].optimizer == "adam"  # the last block that fits
    assert namespace["remedy"]["method"] == "moments"
    tutorial = namespace["tutorial"]
    assert tutorial.lr == 1e-6 and tutorial.domain is None and tutorial.losses.shape == (2000,)
    stats = namespace["stats"]
    looped = stats.fit(epochs=2000)
    streamed = polyfit.fit_stream(namespace["chunks"], 3, domain=(0.0, 10.0), epochs=2000)
    assert looped.coef.tobytes() == streamed.coef.tobytes()  # "the same in one call"
    x = namespace["x"]
    first = polyfit.fit(x, namespace["y"], 3)
    at = np.array([0.0, 1.0])  # numpy 1.x's Polynomial does not take a list
    np.testing.assert_allclose(first.predict(at), first.to_polynomial()(at))
    # "Many series": the shapes it shows, and each series' own fit, bit for bit
    many, one = namespace["many"], namespace["one"]
    assert (many.coef.shape, many.losses.shape, many.optimal_loss.shape) == (
        (4, 200),
        (2000, 200),
        (200,),
    )
    assert many.coef[:, 7].tobytes() == one.coef.tobytes()
    assert namespace["weighted_many"].coef.shape == (4, 200)
    assert namespace["stats_many"].series == 200

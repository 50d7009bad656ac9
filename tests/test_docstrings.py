"""The Examples in polyfit's docstrings run and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "polyfit",
    "polyfit._fit",
    "polyfit._moments",
    "polyfit._result",
    "polyfit.reference",
    "polyfit.dask",
    "polyfit.sklearn",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example may write a file
    failures, tried = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert tried > 0 and failures == 0, (name, failures)

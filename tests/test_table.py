"""The command line's data reader (polyfit._table): its rules, its one-line errors
naming file, line and column, its bounds on untrusted input, and a property
test over generated tables (read right, or exit status 2 with one line)."""

import contextlib
import io
import sys
import zipfile
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfit import _table, cli
from polyfit._table import DataError, read_xy

X = [0.5, 1.25, -3.0]
Y = [2.0, 0.001, 4.5]


def read(tmp_path, text, via="file", name="data.csv", **options):
    data = text.encode() if isinstance(text, str) else text
    if via == "stdin":
        return read_xy("-", stdin=io.BytesIO(data), **options)
    path = tmp_path / name
    path.write_bytes(data)
    return read_xy(str(path), **options)


def error_of(tmp_path, text, via="file", **options):
    with pytest.raises(DataError) as caught:
        read(tmp_path, text, via, **options)
    message = str(caught.value)
    assert "\n" not in message
    prefix = "standard input" if via == "stdin" else str(tmp_path / "data.csv")
    assert message.startswith(prefix), message
    return message[len(prefix) :]


VIAS = ["file", "stdin"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    ("text", "separator", "header"),
    [
        ("0.5,2.0\n1.25,0.001\n-3,4.5\n", ",", None),
        ("x;y\n0.5;2\n1.25;1e-3\n-3;4.5\n", ";", ("x", "y")),
        ("x\ty\n0.5\t2\n1.25\t0.001\n-3.0\t4.5", "\t", ("x", "y")),  # no final line end
        ("  x   y\n0.5  2.0\n\t1.25 0.001\n-3 4.5  \n", "whitespace", ("x", "y")),
        ("\ufeffx,y\r\n0.5,2\r\n\r\n1.25,0.001\r\n   \r\n-3,4.5\r\n", ",", ("x", "y")),
        ("x,y\r0.5,2\r1.25,0.001\r-3,4.5\r", ",", ("x", "y")),  # CR line ends
        ('"x","y"\n"0.5","2"\n" 1.25 ",0.001\n-3,"4.5"\n', ",", ("x", "y")),
        ("# x,y\n0.5,2\n1.25,0.001\n-3,4.5\n", ",", ("x", "y")),  # numpy.savetxt's header
        ("\n\n x , y \n 0.5 , 2 \n1.25, 0.001\n-3 ,4.5\n\n", ",", ("x", "y")),
        ("x ; y\n0.5 ; 2\n1.25 ; 0.001\n-3 ; 4.5\n", ";", ("x", "y")),  # not whitespace
        ("0.5;2\n1.25;1e-3\n\n-3;4.5\n", ";", None),
    ],
)
def test_tables_that_read(tmp_path, via, text, separator, header):
    table = read(tmp_path, text, via)
    assert table.x.tolist() == X and table.y.tolist() == Y
    assert table.x.dtype == np.float64 and table.x.flags.c_contiguous
    assert table.separator == separator and table.header == header


@pytest.mark.parametrize("via", VIAS)
def test_columns_by_name_and_other_columns_hold_anything(tmp_path, via):
    text = 'when,x,note,y\n2024-01-01,0.5,"a, b",2\n2024-01-02,1.25,,1e-3\n-,-3,日本,4.5\n'
    table = read(tmp_path, text, via, x="x", y="y")
    assert table.x.tolist() == X and table.y.tolist() == Y
    assert (table.x_column, table.y_column) == ("x", "y")
    by_index = read(tmp_path, text, via, x="3", y="-3")
    assert by_index.x.tolist() == Y and by_index.y.tolist() == X


def test_delimiter_forced(tmp_path):
    text = "a|b\n0.5|2\n1.25|0.001\n-3|4.5\n"
    assert read(tmp_path, text, separator="|").y.tolist() == Y
    assert error_of(tmp_path, text) == (  # comma guessed: one column
        ": 1 column only (separator ',', guessed from the first lines; --delimiter sets it); "
        "x and y need two"
    )


SEPARATOR_NOTE = "(separator ',', guessed from the first lines; --delimiter sets it)"


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,\n", ", line 3, column 'y' (index 1): missing value"),
        (
            "x,y\n1,2\n3,NA\n",
            ", line 3, column 'y' (index 1): 'NA' is not a number (a missing value)",
        ),
        ("x,y\n1,2\nabc,4\n", ", line 3, column 'x' (index 0): 'abc' is not a number"),
        ("1,2\n3,nan\n", ", line 2, column index 1: 'nan' is not a finite number"),
        ("1,2\n\n-inf,1\n", ", line 3, column index 0: '-inf' is not a finite number"),
        ("1,2\n3,1e999\n", ", line 2, column index 1: '1e999' is not a finite number"),
        ("1,2\n3,1_0\n", ", line 2, column index 1: '1_0' is not a number"),
        (
            "x;y\n1;2\n3;4,5\n",
            ", line 3, column 'y' (index 1): '4,5' is not a number "
            "(decimal commas are not read: write 1.5, not 1,5)",
        ),
        (
            "x,y\n1,2\n3\n",
            f", line 3, column 'y' (index 1): missing: the line has 1 field, the header 2 "
            f"{SEPARATOR_NOTE}",
        ),
        (
            "1,2\n3,4,5\n",
            ", line 2, column index 2: one field too many: the line has 3 fields, line 1 2 "
            f"{SEPARATOR_NOTE}",
        ),
        (
            "x,y\n1,2\n3,4,5,6\n",
            ", line 3, column index 2: 2 fields too many: the line has 4 fields, the header 2 "
            f"{SEPARATOR_NOTE}",
        ),
        ('x,y\n1,"2\n3,4\n', ", line 2: a quote that is not closed on its line"),
        (
            b"x,y\n1,2\n3,\xff\n",
            ", line 3: not UTF-8 text (byte 0xff at byte 3 of the line); "
            "save it as UTF-8 (in Excel: CSV UTF-8)",
        ),
        (b"x,y\n1,2\x00\n", ", line 2: a NUL byte; this is a binary file, not a text table"),
        (b"\xff\xfex\x00,\x00y\x00", ": UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8)"),
        ("", ": no data (the file is empty or blank)"),
        ("\n  \n", ": no data (the file is empty or blank)"),
        ("x,y\n\n", ": a header line but no data rows"),
    ],
)
def test_bad_tables_say_where(tmp_path, via, text, message):
    assert error_of(tmp_path, text, via) == message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"x": "time"}, "--x time: no column 'time' in {name}; its columns: a, b"),
        ({"y": "7"}, "--y 7: column 7 is out of range: {name} has 2 columns " + SEPARATOR_NOTE),
    ],
)
def test_columns_that_do_not_exist(tmp_path, options, message):
    name = str(tmp_path / "data.csv")
    with pytest.raises(DataError) as caught:
        read(tmp_path, "a,b\n1,2\n", **options)
    assert str(caught.value) == message.format(name=name)
    with pytest.raises(DataError, match=r"^--x t: no column 't' in .*; it has no header line"):
        read(tmp_path, "1,2\n", x="t")


def test_an_error_late_in_a_large_file_names_its_line(tmp_path):
    """The whole-file loader fails; the blocks find the line (not line 1 of a block)."""
    rows = np.arange(300_000, dtype=np.float64)
    lines = [f"{v!r},{2 * v!r}" for v in rows.tolist()]
    lines[250_000] = "1.5,oops"
    text = "x,y\n" + "\n".join(lines) + "\n"
    for via in VIAS:
        assert error_of(tmp_path, text, via) == (
            ", line 250002, column 'y' (index 1): 'oops' is not a number"
        )


def test_large_file_same_arrays_by_every_path(tmp_path):
    rng = np.random.default_rng(5)
    table = np.column_stack([rng.uniform(-1e3, 1e3, 200_000), rng.standard_normal(200_000)])
    path = tmp_path / "data.csv"
    np.savetxt(path, table, delimiter=",", fmt="%.17g", header="x,y", comments="")
    whole = read_xy(str(path))
    assert whole.x.tobytes() == table[:, 0].tobytes()
    assert whole.y.tobytes() == table[:, 1].tobytes()
    with path.open("rb") as stream:
        blocks = read_xy("-", stdin=stream)
    assert blocks.x.tobytes() == whole.x.tobytes() and blocks.y.tobytes() == whole.y.tobytes()


# ------------------------------------------------------------------ bounds


class Endless(io.RawIOBase):
    """A stream that never ends: `pattern` repeated; counts the bytes served."""

    def __init__(self, pattern, prefix=b""):
        self.data = prefix
        self.pattern = pattern
        self.served = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.data) < len(buffer):
            self.data += self.pattern * (1 + len(buffer) // len(self.pattern))
        count = len(buffer)
        buffer[:count] = self.data[:count]
        self.data = self.data[count:]
        self.served += count
        return count


@pytest.mark.parametrize(
    ("pattern", "prefix", "message", "limit"),
    [
        # a huge file of one column when two are wanted: the first block says so
        (b"1.5\n", b"", "1 column only", 2 * _table.CHUNK_BYTES),
        # a line that never ends
        (b"1234567,", b"", "line 1: longer than 1,048,576 bytes", 4 * _table.CHUNK_BYTES),
        (b"x", b"1,2\n3,4\n", "line 3: longer than 1,048,576 bytes", 4 * _table.CHUNK_BYTES),
        # binary data
        (b"\x00\x01\x02", b"", "line 1: a NUL byte", 2 * _table.CHUNK_BYTES),
        # a bad value after good ones
        (b"1,2\n", b"x,y\n" + b"1,2\n" * 1000 + b"3,?\n", "line 1002, column 'y'", 3 << 20),
    ],
)
def test_endless_input_is_refused_after_bounded_reading(pattern, prefix, message, limit):
    source = Endless(pattern, prefix)
    with pytest.raises(DataError, match=r"^standard input") as caught:
        read_xy("-", stdin=io.BufferedReader(source))
    assert message in str(caught.value)
    assert source.served <= limit


def test_too_many_columns(tmp_path):
    text = ",".join(["1"] * (_table.MAX_COLUMNS + 1)) + "\n"
    assert error_of(tmp_path, text) == (
        ", line 1: 10,001 fields; polyfit reads tables of at most 10,000 columns"
    )


# ------------------------------------------------------------------ .npy and .npz


def test_npy_and_npz_errors(tmp_path):
    table = np.column_stack([np.arange(5.0), np.arange(5.0)])
    table[3, 1] = np.nan
    np.save(tmp_path / "t.npy", table)
    with pytest.raises(DataError) as caught:
        read_xy(str(tmp_path / "t.npy"))
    assert str(caught.value) == f"{tmp_path / 't.npy'}, column 1, row 3: nan is not a finite number"
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    with pytest.raises(DataError, match=r"expected a 2-D array of columns, got shape \(5,\)$"):
        read_xy(str(tmp_path / "flat.npy"))
    np.savez(tmp_path / "a.npz", x=np.arange(3.0), a=np.arange(3.0))
    with pytest.raises(DataError, match=r"no array 'y'; it has \['a', 'x'\]$"):
        read_xy(str(tmp_path / "a.npz"))
    np.savez(tmp_path / "b.npz", x=np.arange(3.0), y=np.ones((3, 1)))
    with pytest.raises(DataError, match=r"array 'y' must be 1-D, got shape \(3, 1\)$"):
        read_xy(str(tmp_path / "b.npz"))
    # a member whose header claims 10**12 values: refused before anything is allocated
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as archive:
        archive.writestr("x.npy", header.getvalue() + b"\0" * 64)
        archive.writestr("y.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(DataError, match=r"array 'x' claims 1000000000000 values but stores"):
        read_xy(str(tmp_path / "bomb.npz"))
    # the content decides, not the name: a .npy file called data.csv
    np.save(tmp_path / "disguised.npy", np.column_stack([X, Y]))
    (tmp_path / "disguised.npy").rename(tmp_path / "data.csv")
    assert read_xy(str(tmp_path / "data.csv")).y.tolist() == Y


# ------------------------------------------------------------------ --weight


W = [1.0, 0.0, 2.5]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    ("text", "weight", "column"),
    [
        ("x,y,w\n0.5,2,1\n1.25,0.001,0\n-3,4.5,2.5\n", "w", "w"),
        ("x,w,y\n0.5,1,2\n1.25,0,0.001\n-3,2.5,4.5\n", "1", "w"),
        ("0.5;2;1\n1.25;1e-3;0.0\n-3;4.5;2.5\n", "2", "2"),
        ('"x","y","w"\n0.5,2,"1"\n1.25,0.001,0\n-3,4.5,2.5\n', "-1", "w"),
    ],
)
def test_a_weight_column_is_read_by_the_same_rules(tmp_path, via, text, weight, column):
    options = {"weight": weight}
    if text.startswith("x,w,y"):
        options["y"] = "y"
    table = read(tmp_path, text, via, **options)
    assert table.x.tolist() == X and table.y.tolist() == Y and table.w.tolist() == W
    assert table.w.dtype == np.float64 and table.w.flags.c_contiguous
    assert table.weight_column == column
    assert read(tmp_path, text, via).w is None  # no --weight: no weights


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(
    ("text", "weight", "message"),
    [
        (
            "x,y,w\n0.5,2,1\n1.25,0.001,-2\n",
            "w",
            ", line 3, column 'w' (index 2, --weight): '-2' is negative; a weight must be >= 0",
        ),
        (
            "x,y,w\n0.5,2,1\n1.25,0.001,NA\n",
            "w",
            ", line 3, column 'w' (index 2, --weight): 'NA' is not a number (a missing value)",
        ),
        (
            "0.5,2,1\n1.25,0.001,inf\n",
            "2",
            ", line 2, column index 2 (--weight): 'inf' is not a finite number",
        ),
        ("x,y,w\n0.5,2,1\n1.25,0.001\n", "w", ", line 3, column 'w' (index 2, --weight): missing"),
        (
            "x,y,w\n0.5,2,0\n1.25,0.001,0.0\n",
            "w",
            ": --weight w: every weight is 0, so no row counts",
        ),
    ],
)
def test_bad_weights_say_where_naming_the_flag(tmp_path, via, text, weight, message):
    assert error_of(tmp_path, text, via, weight=weight).startswith(message)


def test_weight_columns_that_do_not_exist(tmp_path):
    name = str(tmp_path / "data.csv")
    with pytest.raises(DataError) as caught:
        read(tmp_path, "a,b\n1,2\n", weight="w")
    assert str(caught.value) == f"--weight w: no column 'w' in {name}; its columns: a, b"
    with pytest.raises(DataError, match=r"^--weight 2: column 2 is out of range: .* 2 columns"):
        read(tmp_path, "a,b\n1,2\n", weight="2")


def test_a_negative_weight_late_in_a_large_file_names_its_line(tmp_path):
    """The whole-file loader reads it; the blocks find the line."""
    lines = [f"{v!r},{2 * v!r},1.5" for v in np.arange(300_000, dtype=np.float64).tolist()]
    lines[250_000] = "1.5,2.5,-0.5"
    text = "x,y,w\n" + "\n".join(lines) + "\n"
    for via in VIAS:
        assert error_of(tmp_path, text, via, weight="w") == (
            ", line 250002, column 'w' (index 2, --weight): '-0.5' is negative; a weight must be "
            ">= 0"
        )


def test_weights_in_npy_and_npz(tmp_path):
    table = np.column_stack([X, W, Y])
    np.save(tmp_path / "t.npy", table)
    read_npy = read_xy(str(tmp_path / "t.npy"), y="2", weight="1")
    assert read_npy.w.tolist() == W and read_npy.y.tolist() == Y and read_npy.weight_column == "1"
    np.savez(tmp_path / "a.npz", x=X, y=Y, mass=W)
    read_npz = read_xy(str(tmp_path / "a.npz"), weight="mass")
    assert read_npz.w.tolist() == W and read_npz.weight_column == "mass"
    table[1, 1] = -1.0
    np.save(tmp_path / "bad.npy", table)
    with pytest.raises(DataError) as caught:
        read_xy(str(tmp_path / "bad.npy"), y="2", weight="1")
    assert str(caught.value) == (
        f"{tmp_path / 'bad.npy'}, column 1 (--weight), row 1: -1.0 is negative; "
        "a weight must be >= 0"
    )
    with pytest.raises(DataError, match=r"^--weight w: a .npy file has no column names"):
        read_xy(str(tmp_path / "t.npy"), weight="w")
    np.savez(tmp_path / "b.npz", x=X, y=Y, mass=[1.0, np.nan, 2.0])
    with pytest.raises(DataError, match=r"array 'mass', row 1: nan is not a finite number$"):
        read_xy(str(tmp_path / "b.npz"), weight="mass")
    np.savez(tmp_path / "c.npz", x=X, y=Y, mass=[1.0, 2.0])
    with pytest.raises(
        DataError, match=r"arrays 'x' and 'mass' have different lengths \(3 and 2\)"
    ):
        read_xy(str(tmp_path / "c.npz"), weight="mass")
    np.savez(tmp_path / "d.npz", x=X, y=Y, mass=[0.0, 0.0, 0.0])
    with pytest.raises(DataError, match=r"d.npz: --weight mass: every weight is 0, so no row"):
        read_xy(str(tmp_path / "d.npz"), weight="mass")


# ------------------------------------------------------------------ property test

NAMES = st.from_regex(r"[a-z]{1,6}", fullmatch=True).filter(
    lambda name: name not in _table.MISSING_MARKERS
)
VALUES = st.floats(allow_nan=False, allow_infinity=False)
JUNK = ["", "NA", "nan", "inf", "1,5", "abc", "1e", "--1", '"', "1 2", "0x1", "١"]


@st.composite
def tables(draw):
    """A table as text, and what reading it must give: the x and y arrays, or
    the line of the first (and only) bad field."""
    separator = draw(st.sampled_from([",", ";", "\t", "whitespace"]))
    columns = draw(st.integers(2, 4))
    rows = draw(st.integers(1, 12))
    x_index, y_index = draw(st.permutations(range(columns)))[:2]
    header = draw(st.none() | st.lists(NAMES, min_size=columns, max_size=columns, unique=True))
    row = st.lists(VALUES, min_size=columns, max_size=columns)
    values = draw(st.lists(row, min_size=rows, max_size=rows))
    space = "" if separator == "whitespace" else draw(st.sampled_from(["", " "]))
    joiner = " " if separator == "whitespace" else space + separator + space
    end = draw(st.sampled_from(["\n", "\r\n"]))

    def field(text):
        return f'"{text}"' if draw(st.booleans()) and draw(st.booleans()) else text

    lines = []  # (text, data row index or None)
    if header is not None:
        lines.append((joiner.join(field(name) for name in header), None))
    for index, row in enumerate(values):
        lines.append((joiner.join(field(repr(v)) for v in row), index))
    bad_row = None
    if draw(st.booleans()):
        # junk in one data row, never the first line (a text first line is a header)
        candidates = [i for i in range(rows) if header is not None or i > 0]
        if candidates:
            bad_row = draw(st.sampled_from(candidates))
            cells = [field(repr(v)) for v in values[bad_row]]
            how = draw(st.sampled_from(["junk", "short", "long"]))
            if how == "junk":
                cells[draw(st.sampled_from([x_index, y_index]))] = draw(st.sampled_from(JUNK))
            elif how == "short":
                cells.pop()
            else:
                cells.append(repr(draw(VALUES)))
            position = bad_row + (header is not None)
            lines[position] = (joiner.join(cells), bad_row)
    # blank lines anywhere
    text_lines = []
    line_of_row = {}
    for text, row in lines:
        for _ in range(draw(st.integers(0, 1))):
            text_lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        text_lines.append(text)
        if row is not None:
            line_of_row[row] = len(text_lines)
    text = end.join(text_lines) + draw(st.sampled_from([end, ""]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    expected = np.array(values, dtype=np.float64).reshape(rows, columns)
    bad_line = None if bad_row is None else line_of_row[bad_row]
    names = None if header is None else (header[x_index], header[y_index])
    return (bom + text).encode(), (x_index, y_index), names, expected, bad_line


@settings(max_examples=300, deadline=None)
@given(table=tables(), via=st.sampled_from(VIAS), chunk=st.sampled_from([16, 64, 1 << 20]))
def test_generated_tables_read_right_or_fail_on_their_line(tmp_path_factory, table, via, chunk):
    data, (x_index, y_index), names, expected, bad_line = table
    folder = tmp_path_factory.mktemp("tables")
    x, y = names if names is not None and via == "file" else (str(x_index), str(y_index))
    with mock.patch.object(_table, "CHUNK_BYTES", chunk):
        if bad_line is None:
            result = read(folder, data, via, x=x, y=y)
            assert result.x.tobytes() == expected[:, x_index].tobytes()
            assert result.y.tobytes() == expected[:, y_index].tobytes()
        else:
            message = error_of(folder, data, via, x=x, y=y)
            assert message.startswith(f", line {bad_line}"), (message, data)
            # the command: exit status 2 and that one line, before any training
            source = str(folder / "data.csv") if via == "file" else "-"
            stdin = io.TextIOWrapper(io.BytesIO(data))
            with (
                mock.patch.object(sys, "stdin", stdin),
                contextlib.redirect_stderr(io.StringIO()) as err,
            ):
                assert cli.main(["fit", source, "--x", x, "--y", y, "--epochs", "10"]) == 2
            name = source if via == "file" else "standard input"
            assert err.getvalue() == f"polyfit: error: {name}{message}\n"


def test_a_quoted_header_keeps_the_whole_file_path(tmp_path):
    """R and many tools quote the header: the data below it are still read by one
    numpy.loadtxt call (no clock: the call is counted), and read right."""
    body = "".join(f"{v!r},{-v!r}\n" for v in X)
    with mock.patch.object(_table, "_fast_file", wraps=_table._fast_file) as whole_file:
        assert read(tmp_path, '\n"x","y"\n' + body).x.tolist() == X
        assert whole_file.call_count == 1
        # a quote in the data, or a quote after a space in the header: the blocks
        assert read(tmp_path, 'x,y\n"0.5",-0.5\n1.25,-1.25\n-3.0,3.0\n').x.tolist() == X
        assert read(tmp_path, '"x", "y"\n' + body).header == ("x", "y")
        assert whole_file.call_count == 1

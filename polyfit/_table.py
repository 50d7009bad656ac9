"""x and y (and weights) from a data file, for the command line: a text table
(CSV and the like), a .npy file of columns or a .npz file of arrays.

A text table is read by numpy's compiled loader (`numpy.loadtxt`, a C parser
since numpy 1.23).  A line-by-line reader in Python takes over only for a block
of lines that the loader refuses or could misread; it defines the rules below
and either returns the same numbers or raises `DataError`, whose one-line
message names the file, the line and the column.

Rules for a text table
----------------------
- Lines end with LF, CRLF or CR; a UTF-8 byte order mark is dropped; the text
  must be UTF-8 (numbers are ASCII).  Blank lines (nothing, or only spaces)
  are skipped anywhere.
- The separator is tab, semicolon, comma or a run of whitespace: the one that
  splits the first lines into the same number (>= 2) of fields, in that order
  of preference; the caller can force one.
- A field may be quoted with double quotes ("1.5"; "" inside for a quote); a
  quote must close on its line.
- The first non-blank line is a header when one of its fields is text (not a
  number, not empty, not a missing-value marker such as NA); a leading '#' is
  dropped from it (numpy.savetxt writes '# x,y').
- Every line has as many fields as the header (or the first line); the x and y
  fields are finite numbers with a decimal point ('1.5', '-2e-3', 'inf' and
  'nan' are numbers, but not finite).  So is the weight field, if a weight
  column is asked for, and it is >= 0 (not every weight 0).  Other columns may
  hold anything.

Bounds for untrusted files
--------------------------
Memory: the x and y arrays (16 bytes a row, 24 with weights, briefly twice
while they are put together), plus about 1 MiB blocks of text; time: linear in the bytes read,
and reading stops at the first bad line.  A line longer than MAX_LINE_BYTES, a
NUL byte (a binary file), UTF-16 text, or more than MAX_COLUMNS fields on the
first line are errors.  A .npy file is mapped, not read, until its shape and
dtype are checked; a .npz member's shape and dtype are checked against its
stored size before it is read.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

CHUNK_BYTES = 1 << 20  # text is read and parsed in blocks of about this size
MAX_LINE_BYTES = 1 << 20  # a longer line is an error: no table of numbers has one
MAX_COLUMNS = 10_000
SNIFF_LINES = 50  # non-blank lines looked at to choose the separator
WHITESPACE = "whitespace"  # the separator "a run of spaces or tabs"
SEPARATORS = ("\t", ";", ",", WHITESPACE)  # the candidates, in order of preference
MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "null", "none", "nil", "-", "?", "."})
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
_SPACE_QUOTE = re.compile(rb'[ \t]"')
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")


class DataError(ValueError):
    """Bad data: the message (one line) names the file, and the line and column."""


Columns = tuple[np.ndarray, ...]  # x, y and, if asked for, the weights


def describe_separator(separator: str) -> str:
    return {"\t": "tab", WHITESPACE: "whitespace"}.get(separator, repr(separator))


@dataclass(frozen=True)
class Table:
    """The x and y columns of a data file (and the weights, if asked for), and
    where they came from."""

    x: np.ndarray
    y: np.ndarray
    name: str  # the file as the user named it ('-' for standard input)
    format: str  # "text", "npy" or "npz"
    x_column: str  # the column's name, or its index as text
    y_column: str
    separator: str | None = None  # text only: ',', ';', '\t' or WHITESPACE
    header: tuple[str, ...] | None = None
    w: np.ndarray | None = None  # the weights, >= 0, not all 0 (--weight)
    weight_column: str | None = None

    @property
    def rows(self) -> int:
        return int(self.x.shape[0])


# ------------------------------------------------------------------ fields


def split_fields(text: str, separator: str) -> list[str] | None:
    """The fields of one line, as numpy.loadtxt's tokenizer splits them
    (quotechar '"'), except that spaces may come before an opening quote (numpy
    keeps such a quote as text); None if a quote is not closed on the line."""
    if '"' not in text:
        return text.split() if separator == WHITESPACE else text.split(separator)
    fields: list[str] = []
    position, end = 0, len(text)
    if separator == WHITESPACE:
        position = len(text) - len(text.lstrip())
        if position == end:
            return fields
    while True:
        field: list[str] = []
        start = position
        while start < end and text[start] in " \t":
            start += 1
        if start < end and text[start] == '"':  # a quote opens a field (after spaces)
            position = start + 1
            while True:
                close = text.find('"', position)
                if close < 0:
                    return None
                field.append(text[position:close])
                position = close + 1
                if position < end and text[position] == '"':  # "" is a quote
                    field.append('"')
                    position += 1
                else:
                    break
        # the rest of the field, up to the separator (quotes here are plain text)
        if separator == WHITESPACE:
            stop = position
            while stop < end and not text[stop].isspace():
                stop += 1
            field.append(text[position:stop])
            fields.append("".join(field))
            position = stop
            while position < end and text[position].isspace():
                position += 1
            if position == end:
                return fields
        else:
            stop = text.find(separator, position)
            field.append(text[position : end if stop < 0 else stop])
            fields.append("".join(field))
            if stop < 0:
                return fields
            position = stop + 1


def is_number(field: str) -> bool:
    """True for what numpy's loader reads as a float (finite or not)."""
    text = field.strip()
    if not text or not text.isascii() or "_" in text:  # Python's float takes 1_0, numpy not
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_text(field: str) -> bool:
    text = field.strip()
    return bool(text) and not is_number(text) and text.lower() not in MISSING_MARKERS


def _shorten(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# ------------------------------------------------------------------ blocks of lines


def _text_blocks(stream: BinaryIO, name: str) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, block) for blocks of whole lines of about
    CHUNK_BYTES: line ends made LF, every block ending with one, the BOM
    dropped; a line over MAX_LINE_BYTES, a NUL byte or UTF-16 raise DataError."""
    line = 1
    carry = b""
    first = True
    while True:
        block = stream.read(CHUNK_BYTES)
        if first:
            first = False
            if block.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise DataError(f"{name}: UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8)")
            if block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
        nul = block.find(b"\0")
        if nul >= 0:  # checked at once: a binary file need not have line ends
            line += _normalise(carry + block[:nul]).count(b"\n")
            raise DataError(
                f"{name}, line {line}: a NUL byte; this is a binary file, not a text table"
            )
        data = carry + block if carry else block
        if not block:  # the end: the last line may lack its line end
            if data:
                text = _normalise(data)
                yield line, text if text.endswith(b"\n") else text + b"\n"
            return
        # cut after the last line end; a final CR may be half of a CRLF
        limit = len(data) - 1 if data.endswith(b"\r") else len(data)
        cut = max(data.rfind(b"\n", 0, limit), data.rfind(b"\r", 0, limit)) + 1
        if cut == 0:
            if len(data) > MAX_LINE_BYTES:
                raise _too_long(name, line)
            carry = data
            continue
        text = _normalise(data[:cut])
        carry = data[cut:]
        if text.find(b"\n") > MAX_LINE_BYTES:  # the line that began in the carry
            raise _too_long(name, line)
        if len(carry) > MAX_LINE_BYTES:
            raise _too_long(name, line + text.count(b"\n"))
        yield line, text
        line += text.count(b"\n")


def _normalise(data: bytes) -> bytes:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def _too_long(name: str, line: int) -> DataError:
    return DataError(
        f"{name}, line {line}: longer than {MAX_LINE_BYTES:,} bytes; "
        "not a table of numbers (is it a binary file?)"
    )


def _plain_file(path: str, header_lines: int) -> bool:
    """True if numpy's loader can read the whole file at once with nothing to
    fear: no NUL byte, no line over MAX_LINE_BYTES (LF-counted) and no quote
    after the first header_lines lines (the header, which loadtxt skips, may
    be quoted: R and many tools quote it)."""
    run = 0  # bytes since the last LF
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            if b"\0" in block:
                return False
            start = 0  # where the lines that loadtxt parses begin in this block
            while header_lines > 0:
                end = block.find(b"\n", start)
                if end < 0:
                    break
                start, header_lines = end + 1, header_lines - 1
            if header_lines == 0 and block.find(b'"', start) >= 0:
                return False
            first = block.find(b"\n")
            if first < 0:
                run += len(block)
                if run > MAX_LINE_BYTES:
                    return False
                continue
            if run + first > MAX_LINE_BYTES:
                return False
            run = len(block) - block.rfind(b"\n") - 1
    return True


# ------------------------------------------------------------------ layout


@dataclass(frozen=True)
class _Layout:
    """What the first lines say: separator, header, columns, and the two (or
    three, with weights) wanted."""

    name: str
    separator: str
    sniffed: bool
    header: tuple[str, ...] | None
    header_line: int  # its line number; 0 if there is none
    first_line: int  # the first non-blank line
    columns: int
    x_index: int
    y_index: int
    w_index: int | None = None  # the weights' column (--weight), if any

    @property
    def indices(self) -> tuple[int, ...]:
        """The columns read, in the order x, y[, weight]."""
        weight = () if self.w_index is None else (self.w_index,)
        return (self.x_index, self.y_index, *weight)

    def label(self, index: int) -> str:
        flag = ", --weight" if index == self.w_index else ""
        if self.header is not None and index < len(self.header) and self.header[index]:
            return f"column {self.header[index]!r} (index {index}{flag})"
        return f"column index {index}" + (" (--weight)" if flag else "")

    def separator_note(self) -> str:
        how = "guessed from the first lines; --delimiter sets it" if self.sniffed else "as given"
        return f"separator {describe_separator(self.separator)}, {how}"

    def loadtxt_options(self) -> dict[str, object]:
        used = sorted(set(self.indices))
        if len(used) == self.columns:  # every column is read: a 2-D float array
            dtype: object = np.float64
            ndmin = 2
        else:  # the other columns may hold anything: zero-width strings cost nothing
            dtype = np.dtype(
                [(f"c{i}", np.float64 if i in used else "S0") for i in range(self.columns)]
            )
            ndmin = 1
        return {
            "dtype": dtype,
            "delimiter": None if self.separator == WHITESPACE else self.separator,
            "comments": None,
            "quotechar": '"',
            "ndmin": ndmin,
        }

    def pick(self, table: np.ndarray) -> Columns | None:
        """x, y[, w] (contiguous copies) from what loadtxt returned; None if it
        does not have the expected columns, holds a non-finite value or a
        negative weight (the line-by-line reader then says where)."""
        if table.dtype.names is None:
            if table.ndim != 2 or table.shape[1] != self.columns:
                return None
            picked = [table[:, index] for index in self.indices]
        else:
            picked = [table[f"c{index}"] for index in self.indices]
        if not all(np.isfinite(values).all() for values in picked):
            return None
        if self.w_index is not None and bool((picked[2] < 0.0).any()):
            return None
        return tuple(np.ascontiguousarray(values) for values in picked)


def _layout(
    head: list[tuple[int, str]],
    name: str,
    separator: str | None,
    x: str | None,
    y: str | None,
    weight: str | None = None,
) -> _Layout:
    sniffed = separator is None
    chosen = _sniff(head) if separator is None else separator
    first_line, first_text = head[0]
    fields = split_fields(first_text, chosen)
    if fields is None:
        raise DataError(f"{name}, line {first_line}: a quote that is not closed on its line")
    if len(fields) > MAX_COLUMNS:
        raise DataError(
            f"{name}, line {first_line}: {len(fields):,} fields; polyfit reads tables of "
            f"at most {MAX_COLUMNS:,} columns"
        )
    header = None
    if any(_is_text(field) for field in fields):
        names = [field.strip() for field in fields]
        names[0] = names[0].lstrip("#").strip() if names[0].startswith("#") else names[0]
        header = tuple(names)
    layout = _Layout(
        name, chosen, sniffed, header, first_line if header else 0, first_line, len(fields), 0, 1
    )
    return dataclasses.replace(
        layout,
        x_index=_column(layout, x, 0, "--x"),
        y_index=_column(layout, y, 1, "--y"),
        w_index=None if weight is None else _column(layout, weight, 2, "--weight"),
    )


def _sniff(head: list[tuple[int, str]]) -> str:
    """Of tab, semicolon and comma, the one that splits the first line into >= 2
    fields and the most of the first lines into as many (ties: that order), if
    it splits at least half of them so; else whitespace, if it splits the first
    line; else that character anyway, or a comma (the reader then says which
    line does not fit).  Whitespace comes last: '1.5 ; 2.5' is a
    semicolon-separated line with spaces, not three fields."""

    def agreeing(candidate: str) -> int:
        counts = []
        for _, text in head:
            fields = split_fields(text, candidate)
            counts.append(-1 if fields is None else len(fields))
        return counts.count(counts[0]) if counts[0] >= 2 else 0

    best, best_agreeing = ",", 0
    for candidate in SEPARATORS[:-1]:
        count = agreeing(candidate)
        if count > best_agreeing:
            best, best_agreeing = candidate, count
    if 2 * best_agreeing >= len(head):
        return best
    if agreeing(WHITESPACE) > 0:
        return WHITESPACE
    return best


def _column(layout: _Layout, wanted: str | None, default: int, flag: str) -> int:
    count = layout.columns
    if wanted is None:
        if default >= count:
            raise DataError(
                f"{layout.name}: {count} column only ({layout.separator_note()}); x and y need two"
            )
        return default
    if re.fullmatch(r"-?\d+", wanted.strip()):
        index = int(wanted)
    elif layout.header is not None and wanted in layout.header:
        index = layout.header.index(wanted)
    else:
        if layout.header is None:
            known = "it has no header line (give a 0-based index)"
        else:
            known = "its columns: " + ", ".join(layout.header)
        raise DataError(f"{flag} {wanted}: no column {wanted!r} in {layout.name}; {known}")
    if not -count <= index < count:
        raise DataError(
            f"{flag} {wanted}: column {index} is out of range: {layout.name} has {count} "
            f"column{'s' if count != 1 else ''} ({layout.separator_note()})"
        )
    return index % count


# ------------------------------------------------------------------ reading text


def _head(
    blocks: Iterator[tuple[int, bytes]], name: str
) -> tuple[list[tuple[int, bytes]], list[tuple[int, str]]]:
    """The first blocks (those holding a non-blank line) and the first
    SNIFF_LINES non-blank lines, decoded; stops after about CHUNK_BYTES."""
    kept: list[tuple[int, bytes]] = []
    lines: list[tuple[int, str]] = []
    size = 0
    for start, block in blocks:
        found = False
        position, line = 0, start
        while len(lines) < SNIFF_LINES and position < len(block):
            end = block.index(b"\n", position)  # every block ends with a line end
            raw = block[position:end]
            if raw.strip():
                lines.append((line, _decode(raw, name, line)))
                found = True
            position, line = end + 1, line + 1
        if found or kept:
            kept.append((start, block))
            size += len(block)
        if len(lines) >= SNIFF_LINES or (lines and size >= CHUNK_BYTES):
            break
    return kept, lines


def _decode(raw: bytes, name: str, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{name}, line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x} at "
            f"byte {error.start + 1} of the line); save it as UTF-8 (in Excel: CSV UTF-8)"
        ) from None


def _fast_lines(lines: list[bytes], skip: int, layout: _Layout, block: bytes) -> Columns | None:
    """loadtxt over one block's lines, or None where the Python reader must look."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            table = np.loadtxt(lines, skiprows=skip, encoding="utf-8", **layout.loadtxt_options())  # type: ignore[call-overload]
    except (ValueError, UnicodeDecodeError):
        return None
    picked = _empty(len(layout.indices)) if table.size == 0 else layout.pick(table)
    if picked is not None and b'"' in block:
        # loadtxt keeps a quote after spaces as text: the fields may differ
        if layout.separator != WHITESPACE and _SPACE_QUOTE.search(block):
            return None
        # an unclosed quote makes loadtxt join lines: then it returns fewer rows
        # than there are non-blank lines
        rows = len(lines) - skip - lines.count(b"") + lines[:skip].count(b"")
        if picked[0].shape[0] != rows:
            return None
    return picked


def _empty(count: int) -> Columns:
    return tuple(np.empty(0) for _ in range(count))


def _python_lines(lines: list[bytes], start: int, skip: int, layout: _Layout) -> Columns:
    """The rules, line by line: the arrays, or DataError at the first bad line."""
    name = layout.name
    columns: list[list[float]] = [[] for _ in layout.indices]
    for offset in range(skip, len(lines)):
        line = start + offset
        text = _decode(lines[offset], name, line)
        if not text.strip():
            continue
        fields = split_fields(text, layout.separator)
        if fields is None:
            raise DataError(f"{name}, line {line}: a quote that is not closed on its line")
        if len(fields) != layout.columns:
            raise DataError(_count_message(layout, line, len(fields)))
        for values, index in zip(columns, layout.indices, strict=True):
            values.append(_value(fields[index], layout, line, index))
        if layout.w_index is not None and columns[2][-1] < 0.0:
            raise DataError(
                f"{name}, line {line}, {layout.label(layout.w_index)}: "
                f"{_shorten(fields[layout.w_index].strip())} is negative; a weight must be >= 0"
            )
    return tuple(np.array(values, dtype=np.float64) for values in columns)


def _count_message(layout: _Layout, line: int, found: int) -> str:
    where = "the header" if layout.header is not None else f"line {layout.first_line}"
    if found < layout.columns:
        problem = f"{layout.label(found)}: missing"
    else:
        problem = f"column index {layout.columns}: one field too many"
        if found > layout.columns + 1:
            problem = f"column index {layout.columns}: {found - layout.columns} fields too many"
    return (
        f"{layout.name}, line {line}, {problem}: the line has {found} field"
        f"{'s' if found != 1 else ''}, {where} {layout.columns} ({layout.separator_note()})"
    )


def _value(field: str, layout: _Layout, line: int, index: int) -> float:
    text = field.strip()
    where = f"{layout.name}, line {line}, {layout.label(index)}"
    if not text:
        raise DataError(f"{where}: missing value")
    if not is_number(text):
        hint = ""
        if _DECIMAL_COMMA.fullmatch(text):
            hint = " (decimal commas are not read: write 1.5, not 1,5)"
        elif text.lower() in MISSING_MARKERS or text.lower() == "nan":
            hint = " (a missing value)"
        raise DataError(f"{where}: {_shorten(text)} is not a number{hint}")
    value = float(text)
    if not math.isfinite(value):
        raise DataError(f"{where}: {_shorten(text)} is not a finite number")
    return value


def _read_blocks(blocks: Iterable[tuple[int, bytes]], layout: _Layout) -> Columns:
    parts: list[Columns] = []
    for start, block in blocks:
        lines = block.split(b"\n")
        lines.pop()  # every block ends with a line end
        skip = min(max(layout.header_line - start + 1, 0), len(lines)) if layout.header else 0
        part = _fast_lines(lines, skip, layout, block)
        if part is None:
            part = _python_lines(lines, start, skip, layout)
        parts.append(part)
    if not parts:
        return _empty(len(layout.indices))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _read_text(
    stream: BinaryIO,
    name: str,
    path: str | None,
    separator: str | None,
    x: str | None,
    y: str | None,
    weight: str | None = None,
) -> Table:
    blocks = _text_blocks(stream, name)
    kept, head = _head(blocks, name)
    if not head:
        raise DataError(f"{name}: no data (the file is empty or blank)")
    layout = _layout(head, name, separator, x, y, weight)
    values = None
    # loadtxt skips the header; it must split it as the blocks do (a quote after
    # a space is text to loadtxt, a quote to the blocks)
    header_text = head[0][1] if layout.header is not None else ""
    if (
        path is not None
        and not _SPACE_QUOTE.search(header_text.encode())
        and _plain_file(path, layout.header_line)
    ):
        # the whole file in one call: numpy's loader at its own speed
        values = _fast_file(path, layout)
    if values is None:
        values = _read_blocks(itertools.chain(kept, blocks), layout)
    if values[0].shape[0] == 0:
        raise DataError(f"{name}: a header line but no data rows")
    return Table(
        values[0],
        values[1],
        name,
        "text",
        _column_name(layout, layout.x_index),
        _column_name(layout, layout.y_index),
        layout.separator,
        layout.header,
        values[2] if layout.w_index is not None else None,
        _column_name(layout, layout.w_index) if layout.w_index is not None else None,
    )


def _fast_file(path: str, layout: _Layout) -> Columns | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            table = np.loadtxt(
                path, skiprows=layout.header_line, encoding="utf-8-sig", **layout.loadtxt_options()
            )  # type: ignore[call-overload]
    except (ValueError, UnicodeDecodeError):
        return None  # the blocks will say where and why
    if table.size == 0:
        return _empty(len(layout.indices))
    return layout.pick(table)


def _column_name(layout: _Layout, index: int) -> str:
    if layout.header is not None and layout.header[index]:
        return layout.header[index]
    return str(index)


# ------------------------------------------------------------------ .npy and .npz


def _read_npy(
    path: str, name: str, x: str | None, y: str | None, weight: str | None = None
) -> Table:
    try:
        table = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as error:
        raise DataError(f"{name}: not a readable .npy file ({error})") from None
    if table.ndim != 2:
        raise DataError(f"{name}: expected a 2-D array of columns, got shape {table.shape}")
    if table.dtype.kind not in "biuf":
        raise DataError(f"{name}: expected real numbers, got dtype {table.dtype}")
    columns = table.shape[1]
    wanted = [(x, 0, "--x"), (y, 1, "--y")]
    if weight is not None:
        wanted.append((weight, 2, "--weight"))
    indices = []
    for column, default, flag in wanted:
        if column is None:
            index = default
        elif re.fullmatch(r"-?\d+", column.strip()):
            index = int(column)
        else:
            raise DataError(f"{flag} {column}: a .npy file has no column names; give an index")
        if not -columns <= index < columns:
            raise DataError(
                f"{flag} {index}: column {index} is out of range: {name} has {columns} columns"
            )
        indices.append(index % columns)
    values = [np.array(table[:, index], dtype=np.float64) for index in indices]
    del table
    labels = [str(index) for index in indices]
    return _checked_table(values, name, "npy", labels, [f"column {i}" for i in indices])


def _read_npz(
    path: str, name: str, x: str | None, y: str | None, weight: str | None = None
) -> Table:
    wanted = (x or "x", y or "y") + (() if weight is None else (weight,))
    try:
        with zipfile.ZipFile(path) as archive:
            members = {
                info.filename[: -len(".npy")]: info
                for info in archive.infolist()
                if info.filename.endswith(".npy")
            }
            lengths = []
            for array_name in wanted:
                if array_name not in members:
                    raise DataError(f"{name}: no array {array_name!r}; it has {sorted(members)}")
                lengths.append(_npz_member_length(archive, members[array_name], name))
        for array_name, length in zip(wanted[1:], lengths[1:], strict=True):
            if length != lengths[0]:
                raise DataError(
                    f"{name}: arrays {wanted[0]!r} and {array_name!r} have different lengths "
                    f"({lengths[0]} and {length})"
                )
        with np.load(path, allow_pickle=False) as arrays:
            values = [np.asarray(arrays[array_name], dtype=np.float64) for array_name in wanted]
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        if isinstance(error, DataError):
            raise
        raise DataError(f"{name}: not a readable .npz file ({error})") from None
    return _checked_table(values, name, "npz", list(wanted), [f"array {a!r}" for a in wanted])


def _checked_table(
    values: list[np.ndarray], name: str, kind: str, labels: list[str], places: list[str]
) -> Table:
    """The Table of a binary file's x, y (and weights, a third value): each
    finite, the weights valid, errors naming the file and `places` (where in it
    each value was)."""
    for column_values, place in zip(values, places, strict=True):
        _require_finite(column_values, f"{name}, {place}")
    weighted = len(values) == 3
    if weighted:
        _require_weights(values[2], f"{name}, {places[2]} (--weight)")
    return Table(
        values[0],
        values[1],
        name,
        kind,
        labels[0],
        labels[1],
        w=values[2] if weighted else None,
        weight_column=labels[2] if weighted else None,
    )


def _npz_member_length(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> int:
    """The member's length, from its .npy header, checked before anything is read."""
    array_name = info.filename[: -len(".npy")]
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    if len(shape) != 1:
        raise DataError(f"{name}: array {array_name!r} must be 1-D, got shape {shape}")
    if dtype.kind not in "biuf":
        raise DataError(f"{name}: array {array_name!r} must hold real numbers, got {dtype}")
    if shape[0] * dtype.itemsize > info.file_size:
        raise DataError(
            f"{name}: array {array_name!r} claims {shape[0]} values but stores "
            f"{info.file_size} bytes"
        )
    return int(shape[0])


def _require_finite(values: np.ndarray, where: str) -> None:
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise DataError(f"{where}, row {row}: {values[row]} is not a finite number")


def _require_weights(values: np.ndarray, where: str) -> None:
    negative = values < 0.0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise DataError(f"{where}, row {row}: {values[row]} is negative; a weight must be >= 0")


# ------------------------------------------------------------------ entry point


def read_xy(
    source: str,
    x: str | None = None,
    y: str | None = None,
    separator: str | None = None,
    stdin: BinaryIO | None = None,
    weight: str | None = None,
) -> Table:
    """x and y from `source`: a file name, or '-' for `stdin` (a text table).

    separator: None to choose it from the first lines, else ',', ';', '\\t', any
    other single character, or WHITESPACE.  x, y: a column's name or 0-based
    index (an array's name in a .npz file); default the first two columns.
    weight: the column (or array) of sample weights, read by the same rules
    and also >= 0, not all 0; None: no weights.  Raises DataError (a
    ValueError) with a one-line message.
    """
    table = _read(source, x, y, separator, stdin, weight)
    if table.w is not None and not table.w.any():
        raise DataError(f"{table.name}: --weight {weight}: every weight is 0, so no row counts")
    return table


def _read(
    source: str,
    x: str | None,
    y: str | None,
    separator: str | None,
    stdin: BinaryIO | None,
    weight: str | None,
) -> Table:
    if source == "-":
        if stdin is None:
            raise DataError("-: no standard input to read")
        return _read_text(stdin, "standard input", None, separator, x, y, weight)
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        raise DataError(f"{source}: no such file") from None
    except OSError as error:
        raise DataError(f"{source}: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{source}: a directory, not a data file")
    try:
        with open(source, "rb") as handle:
            regular = stat.S_ISREG(mode)
            magic = handle.read(len(NPY_MAGIC)) if regular else b""
            if magic.startswith(NPY_MAGIC):
                return _read_npy(source, source, x, y, weight)
            if magic.startswith(ZIP_MAGIC):
                return _read_npz(source, source, x, y, weight)
            if regular:
                handle.seek(0)
            return _read_text(handle, source, source if regular else None, separator, x, y, weight)
    except MemoryError:
        raise DataError(f"{source}: too large for the memory of this machine") from None
    except OSError as error:
        raise DataError(f"{source}: {error.strerror or error}") from None

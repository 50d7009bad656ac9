#!/usr/bin/env bash
# Fit a data file from the command line, as a spreadsheet exports it: semicolons,
# a byte order mark, a date column.  polyfit finds the separator and the header;
# by default it chooses the step (--lr auto) and scales x (--scale).
# Needs polyfit[plot] for --plot.
set -euo pipefail
folder=$(mktemp -d)
python - "$folder/data.csv" <<'PY'
import sys
import numpy as np
x = np.linspace(0, 40, 400)
y = 0.5 * x**2 - 3 * x + 7 + np.random.default_rng(0).normal(0, 20, x.size)
with open(sys.argv[1], "w", encoding="utf-8-sig") as out:  # Excel's "CSV UTF-8"
    out.write("date;time;value\n")
    for day, (t, v) in enumerate(zip(x.tolist(), y.tolist())):
        out.write(f"2024-{day // 28 % 12 + 1:02d}-{day % 28 + 1:02d};{t!r};{v!r}\n")
PY
# a trace every 500 epochs, the result, a JSON report and a figure
polyfit fit "$folder/data.csv" --x time --y value --degree 2 --epochs 3000 \
    --log-every 500 --json "$folder/fit.json" --plot "$folder/fit.png"
echo "wrote $folder/fit.json and $folder/fit.png"
# from standard input, the JSON document alone on stdout (the report goes to stderr)
polyfit fit - --x time --y value --degree 2 --epochs 3000 --quiet --json - \
    < "$folder/data.csv" | python -c "import json, sys; print('coef:', json.load(sys.stdin)['coef'])"

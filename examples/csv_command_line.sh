#!/usr/bin/env bash
# Fit a CSV file from the command line: a trace every 500 epochs, the result,
# a JSON report and a figure.  Needs polyfit[plot] for --plot.
set -euo pipefail
folder=$(mktemp -d)
python - "$folder/data.csv" <<'PY'
import sys
import numpy as np
x = np.linspace(0, 40, 400)
y = 0.5 * x**2 - 3 * x + 7 + np.random.default_rng(0).normal(0, 20, x.size)
np.savetxt(sys.argv[1], np.column_stack([x, y]), delimiter=",", header="time,value", comments="")
PY
polyfit fit "$folder/data.csv" --x time --y value --degree 2 --lr auto --scale \
    --epochs 3000 --log-every 500 --json "$folder/fit.json" --plot "$folder/fit.png"
echo "wrote $folder/fit.json and $folder/fit.png"

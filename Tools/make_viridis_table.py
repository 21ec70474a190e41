"""Prints the viridis table of Sources/Explain/Rendering/ColorMap.swift.

The 256 RGB entries are matplotlib's `_viridis_data` (matplotlib/_cm_listed.py; colour map by
Stéfan van der Walt and Nathaniel Smith, CC0). Run:
    .venv-tools/bin/pip install matplotlib
    .venv-tools/bin/python Tools/make_viridis_table.py > /tmp/viridis.txt
and paste the lines into `ColorMap.viridisTable`.
"""
from matplotlib import colormaps

colors = colormaps["viridis"].colors
assert len(colors) == 256
for start in range(0, 256, 3):
    row = colors[start:start + 3]
    print("    " + " ".join(f"{r:.6f}, {g:.6f}, {b:.6f}," for r, g, b in row))

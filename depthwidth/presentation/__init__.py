"""Figures and captions (layer 4).

- ``style``: one look for every figure: palette, sizes, fonts, saving PNG and PDF.
- ``figures``: every figure, as functions from plain arrays to a matplotlib figure.
- ``numbers``: how labels and captions write a number.
- ``captions``: the numbers the report's captions quote.
- ``catalog``: every figure declared once (inputs, report entry, parameters, caption numbers); the named targets.
"""

"""How the figures' labels and the report's captions write a number (one rule for both)."""

from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(x: float | None, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits; powers of ten as ``3.1×10⁻⁷`` outside [10⁻³, 10⁴)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{float(f'{x:.{digits}g}'):g}"  # 2.3e+02 -> 230: no exponent in this range
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    power = f"10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return power if mantissa in ("1", "1." + "0" * (digits - 1)) else f"{mantissa}×{power}"

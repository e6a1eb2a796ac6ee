"""ISO 4217 currencies: which codes exist and the minor unit totals are rounded to."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pycountry

_EXPONENT_0 = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip
# ISO 4217 minor units that are not 2 (pycountry carries the codes, not their exponents).
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_EXPONENT_0, 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def is_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 alphabetic code."""
    return pycountry.currencies.get(alpha_3=code) is not None


@cache
def minor_unit(code: str) -> Decimal:
    """The smallest amount of ``code`` a total is rounded to: 0.01 for EUR, 1 for JPY, 0.001
    for KWD (ISO 4217 exponent; 2 where the standard states none)."""
    return Decimal(1).scaleb(-_MINOR_UNITS.get(code, 2))

"""Array parameters of the transactions projection, written as PostgreSQL literals."""

from __future__ import annotations

from projections.transactions import array_literal


def test_array_literals_quote_strings_and_keep_ints() -> None:
    assert array_literal(None) == "{}" and array_literal([]) == "{}"
    assert array_literal([3, 7]) == "{3,7}"
    assert array_literal(["a b", 'say "x"', "c\\d", "NULL"]) == (
        '{"a b","say \\"x\\"","c\\\\d","NULL"}'
    )

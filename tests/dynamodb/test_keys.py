"""The key encoding keeps DynamoDB's order: numbers (negatives, decimals, 38 digits, the
extremes of the range), strings by UTF-8 bytes, binaries by unsigned bytes; a seeded generator
makes the samples."""

from __future__ import annotations

import decimal
import random

import pytest

from gureum.services.dynamodb import keys as K
from gureum.services.dynamodb import values as V


def _sorted_by_encoding(vals: list[dict]) -> list[dict]:
    return sorted(vals, key=lambda v: K.encode(v) + "/")


def test_numbers_sort_numerically_including_negatives_and_decimals() -> None:
    rnd = random.Random(18)
    texts = ["0", "-0", "1", "-1", "10", "-10", "0.5", "-0.5", "1.05", "1.5", "-1.05", "-1.5", "100", "99.999",
             "1E-130", "-1E-130", "9.9999999999999999999999999999999999999E+125", "-9.9999999999999999999999999999999999999E+125",
             "12345678901234567890123456789012345678", "0.00000000000000000000000000000000000001"]
    for _ in range(400):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 38)))
        exp = rnd.randint(-60, 60)
        texts.append(f"{rnd.choice(['', '-'])}{digits}E{exp}")
    vals = [{"N": V.number(t)} for t in texts]
    got = [decimal.Decimal(v["N"]) for v in _sorted_by_encoding(vals)]
    assert got == sorted(got)


def test_equal_numbers_encode_equal() -> None:
    assert K.encode({"N": V.number("1.50")}) == K.encode({"N": V.number("15E-1")})
    assert K.encode({"N": V.number("-0")}) == K.encode({"N": "0"})


def test_strings_sort_by_utf8_bytes_and_prefixes_first() -> None:
    rnd = random.Random(7)
    alphabet = "aAbz09 ~\u00e9\u4e2d\U0001f600/"
    vals = [{"S": "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6)))} for _ in range(400)]
    vals += [{"S": "ab"}, {"S": "abc"}, {"S": "ab\x00"}]
    got = [v["S"].encode() for v in _sorted_by_encoding(vals)]
    assert got == sorted(got)


def test_binaries_sort_as_unsigned_bytes() -> None:
    rnd = random.Random(9)
    vals = [{"B": bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 5)))} for _ in range(300)]
    got = [v["B"] for v in _sorted_by_encoding(vals)]
    assert got == sorted(got)


@pytest.mark.parametrize("text,message", [
    ("1E+126", "Number overflow"),
    ("1E-131", "Number underflow"),
    ("123456789012345678901234567890123456789", "more than 38 significant digits"),
    ("abc", "cannot be converted into a number"),
    ("Infinity", "cannot be converted into a number"),
])
def test_number_limits_are_refused_with_aws_messages(text: str, message: str) -> None:
    with pytest.raises(Exception) as e:
        V.number(text)
    assert message in str(getattr(e.value, "message", e.value))


def test_numbers_are_canonical() -> None:
    assert V.number("1.50") == "1.5"
    assert V.number("1e2") == "100"
    assert V.number("-0.000") == "0"
    assert V.number("0012.3400") == "12.34"

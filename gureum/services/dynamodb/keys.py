"""Order-preserving text encoding of DynamoDB key values, so that the store's bytewise key
order is DynamoDB's order and a Query reads one key range of the store.

An encoded key value uses only the characters 0-9, a-f and "~" (all above "/", the separator):
- S: the hex of its UTF-8 bytes; B: the hex of its bytes. Hex keeps the bytes' order, and a
  shorter value that is a prefix of a longer one sorts first ("/" follows it, below any digit).
- N: "1" for zero; a positive number 0.d1d2...dn x 10^e is "2" + the 3 digits of e+500 + its
  digits (no trailing zeros); a negative one is "0" + the 3 digits of 999-(e+500) + the nines'
  complement of its digits + "~" (so that, of two negatives with one exponent, the one whose
  digits are a prefix of the other's, the smaller magnitude, sorts last). DynamoDB's range
  (1E-130 to below 1E+126) keeps e+500 within three digits.

Store keys (every component followed by "/"):
- items: "{account}/{region}/{table}/{hash}/{range}/" ({range} empty without a sort key);
- index entries: "{account}/{region}/{table}/{index}/{ihash}/{irange}/{hash}/{range}/".
A range bound on the sort key becomes a store range: `= v` is the prefix "{enc v}/", `> v`
starts at "{enc v}0" (past every key under "{enc v}/"), `<= v` ends there, `< v` ends at
"{enc v}/", begins_with(S or B) is the prefix of the hex without the separator.
"""

from __future__ import annotations

from gureum.services.dynamodb.values import Value, kind, to_decimal


def encode(v: Value) -> str:
    t = kind(v)
    if t == "S":
        return str(v["S"]).encode().hex()
    if t == "B":
        return bytes(v["B"]).hex()
    d = to_decimal(v["N"])
    if d.is_zero():
        return "1"
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    e = len(digits) + exp  # value = 0.d1d2... x 10^e
    text = "".join(str(x) for x in digits).rstrip("0")
    if not sign:
        return f"2{e + 500:03d}{text}"
    return f"0{999 - (e + 500):03d}{''.join(str(9 - int(c)) for c in text)}~"


def prefix_of(v: Value) -> str:
    """The prefix of every encoded value that begins with `v` (S or B)."""
    return encode(v)

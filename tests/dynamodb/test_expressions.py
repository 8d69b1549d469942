"""The expression language, table-driven: the developer guide's condition, update and
projection examples (on its ProductCatalog item 123) parsed once and evaluated, and AWS's
validation messages for bad expressions."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.dynamodb import evaluate as E
from gureum.services.dynamodb import expressions as X
from gureum.services.dynamodb import values as V
from tests.dynamodb.product import bicycle


def ctx(names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> X.Context:
    return X.Context(names=names or {}, values={k: V.check(v) for k, v in (values or {}).items()})


def cond(text: str, names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> bool:
    c = ctx(names, values)
    node = X.condition(text, "ConditionExpression", c)
    c.check_unused()
    return E.matches(V.check_item(bicycle()), node)


CONDITIONS = [
    ("attribute_not_exists(Price)", None, None, False),
    ("attribute_not_exists(Manufacturer)", None, None, True),
    ("attribute_exists(ProductReviews.OneStar)", None, None, True),
    ("attribute_exists(#pr.OneStar)", {"#pr": "ProductReviews"}, None, True),
    ("attribute_exists(#sw)", {"#sw": "Safety.Warning"}, None, True),
    ("attribute_exists(Safety.Warning)", None, None, False),
    ("attribute_type(ProductReviews.FiveStar, :v_sub)", None, {":v_sub": {"S": "L"}}, True),
    ("attribute_type(Color, :t)", None, {":t": {"S": "SS"}}, True),
    ("begins_with(Pictures.FrontView, :v_sub)", None, {":v_sub": {"S": "http://"}}, True),
    ("begins_with(Pictures.FrontView, :v_sub)", None, {":v_sub": {"S": "https://"}}, False),
    ("contains(Color, :v_sub)", None, {":v_sub": {"S": "Red"}}, True),
    ("contains(Color, :v_sub)", None, {":v_sub": {"S": "Blue"}}, False),
    ("contains(Brand, :v_sub)", None, {":v_sub": {"S": "Company"}}, True),
    ("contains(RelatedItems, :n)", None, {":n": {"N": "472"}}, True),
    ("size(Brand) <= :v_sub", None, {":v_sub": {"N": "20"}}, True),
    ("size(Color) < :v_sub", None, {":v_sub": {"N": "3"}}, True),
    ("size(ProductReviews.OneStar) > :v_sub", None, {":v_sub": {"N": "0"}}, True),
    ("size(Pictures) = :n", None, {":n": {"N": "3"}}, True),
    ("Price between :lo and :hi", None, {":lo": {"N": "500"}, ":hi": {"N": "600"}}, True),
    ("Price BETWEEN :lo AND :hi", None, {":lo": {"N": "501"}, ":hi": {"N": "600"}}, False),
    ("ProductCategory IN (:cat1, :cat2)", None, {":cat1": {"S": "Sporting Goods"}, ":cat2": {"S": "Bicycle"}}, True),
    ("Price <= :p", None, {":p": {"N": "500.0"}}, True),
    ("Price < :p", None, {":p": {"N": "500"}}, False),
    ("Price > :p AND NOT ProductCategory = :c", None, {":p": {"N": "1"}, ":c": {"S": "Book"}}, True),
    ("(Price > :p OR InStock = :t) AND Brand <> :b", None,
     {":p": {"N": "1000"}, ":t": {"BOOL": True}, ":b": {"S": "x"}}, True),
    ("RelatedItems[1] = :n", None, {":n": {"N": "472"}}, True),
    ("#pr.FiveStar[0] = :r", {"#pr": "ProductReviews"},
     {":r": {"S": "Excellent! Can't recommend it highly enough! Buy it!"}}, True),
    ("Price = :s", None, {":s": {"S": "500"}}, False),
    ("Price < :s", None, {":s": {"S": "600"}}, False),
    ("Absent <> :v", None, {":v": {"S": "x"}}, True),
    ("NOT attribute_exists(Id) OR Price = :p", None, {":p": {"N": "5E2"}}, True),
    ("QuantityOnHand = :null", None, {":null": {"NULL": True}}, True),
    ("Color = :c", None, {":c": {"SS": ["Black", "Red"]}}, True),
]


@pytest.mark.parametrize("text,names,values,expected", CONDITIONS)
def test_developer_guide_conditions(text: str, names: Any, values: Any, expected: bool) -> None:
    assert cond(text, names, values) is expected


def update(text: str, names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    c = ctx(names, values)
    clauses = X.update(text, c)
    c.check_unused()
    return E.apply_update(V.check_item(bicycle()), clauses)


def test_update_set_several_attributes() -> None:
    got = update("SET ProductCategory = :c, Price = :p", values={":c": {"S": "Hardware"}, ":p": {"N": "60"}})
    assert got["ProductCategory"] == {"S": "Hardware"} and got["Price"] == {"N": "60"}


def test_update_set_list_element_and_map_member() -> None:
    got = update("SET RelatedItems[1] = :ri, Pictures.RearView = :rv",
                 values={":ri": {"S": "Nails"}, ":rv": {"S": "x"}})
    assert got["RelatedItems"]["L"][1] == {"S": "Nails"} and got["Pictures"]["M"]["RearView"] == {"S": "x"}


def test_update_set_index_past_the_end_appends() -> None:
    got = update("SET RelatedItems[10] = :ri", values={":ri": {"N": "1"}})
    assert got["RelatedItems"]["L"][-1] == {"N": "1"} and len(got["RelatedItems"]["L"]) == 4


def test_update_arithmetic_if_not_exists_and_list_append() -> None:
    got = update("SET Price = Price - :p, Stock = if_not_exists(Stock, :zero) + :one, "
                 "#pr.FiveStar = list_append(#pr.FiveStar, :r), Tags = list_append(:r, if_not_exists(Tags, :empty))",
                 names={"#pr": "ProductReviews"},
                 values={":p": {"N": "15.5"}, ":zero": {"N": "0"}, ":one": {"N": "1"}, ":r": {"L": [{"S": "Fine"}]},
                         ":empty": {"L": []}})
    assert got["Price"] == {"N": "484.5"}
    assert got["Stock"] == {"N": "1"}
    assert got["ProductReviews"]["M"]["FiveStar"]["L"][-1] == {"S": "Fine"}
    assert got["Tags"] == {"L": [{"S": "Fine"}]}


def test_update_if_not_exists_keeps_an_existing_value() -> None:
    assert update("SET Price = if_not_exists(Price, :p)", values={":p": {"N": "100"}})["Price"] == {"N": "500"}


def test_update_remove_attributes_and_list_elements() -> None:
    got = update("REMOVE Brand, InStock, QuantityOnHand, RelatedItems[1], RelatedItems[2]")
    assert "Brand" not in got and "InStock" not in got and "QuantityOnHand" not in got
    assert got["RelatedItems"] == {"L": [{"N": "341"}]}


def test_update_add_numbers_and_sets_and_delete_from_sets() -> None:
    got = update("ADD QuantityOnHand2 :q, Price :q, Color :c", values={":q": {"N": "5"}, ":c": {"SS": ["Orange", "Red"]}})
    assert got["QuantityOnHand2"] == {"N": "5"} and got["Price"] == {"N": "505"}
    assert sorted(got["Color"]["SS"]) == ["Black", "Orange", "Red"]
    got = update("DELETE Color :p", values={":p": {"SS": ["Red", "Yellow"]}})
    assert got["Color"] == {"SS": ["Black"]}
    got = update("DELETE Color :p", values={":p": {"SS": ["Red", "Black"]}})
    assert "Color" not in got


def test_number_arithmetic_keeps_38_digits() -> None:
    got = update("SET Price = Price + :p", values={":p": {"N": "0.0000000000000000000000000000000001"}})
    assert got["Price"] == {"N": "500.0000000000000000000000000000000001"}


def test_projection_of_nested_paths() -> None:
    c = ctx()
    paths = X.projection("Description, RelatedItems[0], ProductReviews.FiveStar", c)
    got = E.project(V.check_item(bicycle()), paths)
    assert got == {"Description": {"S": "123 description"}, "RelatedItems": {"L": [{"N": "341"}]},
                   "ProductReviews": {"M": {"FiveStar": bicycle()["ProductReviews"]["M"]["FiveStar"]}}}


def message(fn: Any) -> str:
    with pytest.raises(AwsError) as e:
        fn()
    assert e.value.code == "ValidationException"
    return str(e.value.message)


ERRORS = [
    (lambda: X.condition("Year = :y", "ConditionExpression", ctx(values={":y": {"N": "1"}})),
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Year"),
    (lambda: X.condition("#n = :y", "ConditionExpression", ctx(values={":y": {"N": "1"}})),
     "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"),
    (lambda: X.condition("a = :y", "ConditionExpression", ctx()),
     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :y"),
    (lambda: X.condition("a = ", "ConditionExpression", ctx()),
     'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    (lambda: X.condition("a == :v", "ConditionExpression", ctx(values={":v": {"N": "1"}})),
     'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
    (lambda: X.condition("foo(a)", "ConditionExpression", ctx()),
     "Invalid ConditionExpression: Invalid function name; function: foo"),
    (lambda: X.condition("begins_with(a, :n)", "ConditionExpression", ctx(values={":n": {"N": "1"}})),
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
    (lambda: X.condition("attribute_type(a, :t)", "ConditionExpression", ctx(values={":t": {"S": "STRING"}})),
     "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    (lambda: X.condition("a BETWEEN :hi AND :lo", "ConditionExpression", ctx(values={":hi": {"N": "5"}, ":lo": {"N": "1"}})),
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
     "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
    (lambda: X.update("SET a = :v, a.b = :v", ctx(values={":v": {"N": "1"}})),
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "
     "path one: [a], path two: [a, b]"),
    (lambda: X.update("SET a = :v SET b = :v", ctx(values={":v": {"N": "1"}})),
     'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    (lambda: X.update("SET a = :v + :w", ctx(values={":v": {"S": "x"}, ":w": {"N": "1"}})),
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    (lambda: X.update("ADD a :v", ctx(values={":v": {"S": "x"}})),
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    (lambda: X.update("SET a = size(b)", ctx()),
     "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"),
    (lambda: X.projection("a, a.b", ctx()),
     "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "
     "path one: [a], path two: [a, b]"),
    (lambda: X.condition("", "ConditionExpression", ctx()),
     "Invalid ConditionExpression: The expression can not be empty;"),
]


@pytest.mark.parametrize("call,expected", ERRORS)
def test_validation_messages(call: Any, expected: str) -> None:
    assert message(call) == expected


def test_unused_names_and_values_are_reported() -> None:
    c = ctx(names={"#a": "a", "#b": "b"}, values={":v": {"N": "1"}})
    X.condition("#a = :v", "ConditionExpression", c)
    assert message(c.check_unused) == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    c = ctx(values={":v": {"N": "1"}, ":w": {"N": "2"}})
    X.condition("a = :v", "ConditionExpression", c)
    assert message(c.check_unused) == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"


def test_reserved_words_are_the_full_list_and_case_insensitive() -> None:
    from gureum.services.dynamodb.reserved import RESERVED, is_reserved
    assert len(RESERVED) == 573
    assert is_reserved("status") and is_reserved("Name") and not is_reserved("Price")

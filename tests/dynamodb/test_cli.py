"""The AWS CLI drives DynamoDB end to end: create-table, put-item, update-item, query with a
key condition, the table-exists waiter, delete-table."""

from __future__ import annotations

import json
from typing import Any


def test_cli_table_and_items(gureum: Any) -> None:
    gureum.aws("dynamodb", "create-table", "--table-name", "Music",
               "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=SongTitle,AttributeType=S",
               "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=SongTitle,KeyType=RANGE",
               "--billing-mode", "PAY_PER_REQUEST")
    gureum.aws("dynamodb", "wait", "table-exists", "--table-name", "Music")
    for song in ("Call Me Today", "Happy Day", "PartiQL Rocks"):
        gureum.aws("dynamodb", "put-item", "--table-name", "Music", "--item",
                   json.dumps({"Artist": {"S": "No One You Know"}, "SongTitle": {"S": song}, "AlbumTitle": {"S": "Somewhat Famous"}}))
    out = gureum.aws("dynamodb", "update-item", "--table-name", "Music",
                     "--key", json.dumps({"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Happy Day"}}),
                     "--update-expression", "SET AlbumTitle = :newval",
                     "--expression-attribute-values", json.dumps({":newval": {"S": "Updated Album Title"}}),
                     "--return-values", "ALL_NEW")
    assert out["Attributes"]["AlbumTitle"] == {"S": "Updated Album Title"}
    out = gureum.aws("dynamodb", "query", "--table-name", "Music", "--key-condition-expression",
                     "Artist = :name AND begins_with(SongTitle, :p)",
                     "--expression-attribute-values", json.dumps({":name": {"S": "No One You Know"}, ":p": {"S": "Ha"}}))
    assert [i["SongTitle"]["S"] for i in out["Items"]] == ["Happy Day"]
    out = gureum.aws("dynamodb", "scan", "--table-name", "Music", "--page-size", "1")
    assert out["Count"] == 3
    gureum.aws("dynamodb", "delete-table", "--table-name", "Music")
    assert "Music" not in gureum.aws("dynamodb", "list-tables")["TableNames"]

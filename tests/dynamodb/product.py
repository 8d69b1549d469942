"""The ProductCatalog item 123 of AWS's DynamoDB developer guide (the expression chapters'
running example), in the wire form."""

from __future__ import annotations

from typing import Any


def bicycle() -> dict[str, Any]:
    return {
        "Id": {"N": "123"},
        "Title": {"S": "Bicycle 123"},
        "Description": {"S": "123 description"},
        "BicycleType": {"S": "Hybrid"},
        "Brand": {"S": "Brand-Company C"},
        "Price": {"N": "500"},
        "Color": {"SS": ["Red", "Black"]},
        "ProductCategory": {"S": "Bicycle"},
        "InStock": {"BOOL": True},
        "QuantityOnHand": {"NULL": True},
        "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
        "Pictures": {"M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"},
        }},
        "ProductReviews": {"M": {
            "FiveStar": {"L": [{"S": "Excellent! Can't recommend it highly enough! Buy it!"},
                               {"S": "Do yourself a favor and buy this."}]},
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]},
        }},
        "Comment": {"S": "This product sells out quickly during the summer"},
        "Safety.Warning": {"S": "Always wear a helmet"},
    }

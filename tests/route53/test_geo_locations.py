"""GetGeoLocation and ListGeoLocations through boto3: the shipped database's countries, Route
53's continents and US states, AWS's paging by Start*/Next* codes and its errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_get_geo_location_continent_country_subdivision_default(gureum):
    r53 = gureum.client("route53")
    assert r53.get_geo_location(ContinentCode="EU")["GeoLocationDetails"] == {"ContinentCode": "EU", "ContinentName": "Europe"}
    assert r53.get_geo_location(CountryCode="GB")["GeoLocationDetails"] == {"CountryCode": "GB", "CountryName": "United Kingdom"}
    assert r53.get_geo_location(CountryCode="UA")["GeoLocationDetails"]["CountryName"] == "Ukraine"
    assert r53.get_geo_location(CountryCode="US", SubdivisionCode="WA")["GeoLocationDetails"] == {
        "CountryCode": "US", "CountryName": "United States", "SubdivisionCode": "WA", "SubdivisionName": "Washington"}
    assert r53.get_geo_location(CountryCode="*")["GeoLocationDetails"] == {"CountryCode": "*", "CountryName": "Default"}
    for kwargs in ({"CountryCode": "QQ"}, {"CountryCode": "US", "SubdivisionCode": "ZZ"}, {"ContinentCode": "XX"},
                   {"CountryCode": "FR", "SubdivisionCode": "75"}):
        with pytest.raises(ClientError) as e:
            r53.get_geo_location(**kwargs)
        assert e.value.response["Error"]["Code"] == "NoSuchGeoLocation"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        r53.get_geo_location(ContinentCode="EU", CountryCode="FR")
    assert e.value.response["Error"]["Code"] == "InvalidInput"


def _walk(r53, size: str) -> tuple[list[dict], int]:
    seen: list[dict] = []
    kwargs: dict = {"MaxItems": size}
    pages = 0
    while True:
        page = r53.list_geo_locations(**kwargs)
        pages += 1
        assert len(page["GeoLocationDetailsList"]) <= min(int(size), 100)  # AWS's page at most 100
        seen.extend(page["GeoLocationDetailsList"])
        if not page["IsTruncated"]:
            return seen, pages
        kwargs = {"MaxItems": size}
        for nxt, start in (("NextContinentCode", "StartContinentCode"), ("NextCountryCode", "StartCountryCode"),
                           ("NextSubdivisionCode", "StartSubdivisionCode")):
            if nxt in page:
                kwargs[start] = page[nxt]


def test_list_geo_locations_pages_through_everything_once(gureum):
    r53 = gureum.client("route53")
    seen, pages = _walk(r53, "37")
    assert pages > 5 and (seen, 4) == _walk(r53, "1000")
    keys = [(d.get("ContinentCode"), d.get("CountryCode"), d.get("SubdivisionCode")) for d in seen]
    assert len(keys) == len(set(keys))
    assert [k[0] for k in keys[:7]] == ["AF", "AN", "AS", "EU", "NA", "OC", "SA"]
    assert keys[7] == (None, "*", None)
    us = keys.index((None, "US", None))
    assert keys[us + 1] == (None, "US", "AK") and sum(1 for k in keys if k[1] == "US" and k[2]) == 51
    assert (None, "UA", None) in keys and (None, "GB", None) in keys
    # the CLI's documented habit: start at a continent, or at a country
    page = r53.list_geo_locations(StartContinentCode="OC")
    assert [d.get("ContinentCode") for d in page["GeoLocationDetailsList"][:2]] == ["OC", "SA"]
    page = r53.list_geo_locations(StartCountryCode="LI", MaxItems="1")
    assert page["GeoLocationDetailsList"] == [{"CountryCode": "LI", "CountryName": "Liechtenstein"}]
    assert page["NextCountryCode"] == "LK"

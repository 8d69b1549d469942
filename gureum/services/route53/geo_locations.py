"""GetGeoLocation and ListGeoLocations: the locations geolocation record sets may name.

No state: the list is reference data. Continents are Route 53's seven; countries are those
of the geolocation database gureum routes with (geoip2fast's bundled data, geo.py: its code →
name table, loaded once on first use), plus "*" (Default); subdivisions are the US states
(and DC) Route 53 supports. The listing order is continents (by code), then "*", then
countries by code, each country's subdivisions right after it; a page ends with the Next*
codes of the first location it left out (a continent: NextContinentCode; a country:
NextCountryCode; a subdivision: NextCountryCode and NextSubdivisionCode), which the next
request passes back as Start*.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53 import geo, paging

CONTINENTS = {"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe", "NA": "North America",
              "OC": "Oceania", "SA": "South America"}
US_STATES = {
    "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AZ": "Arizona", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky",
    "LA": "Louisiana", "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan", "MN": "Minnesota",
    "MO": "Missouri", "MS": "Mississippi", "MT": "Montana", "NC": "North Carolina", "ND": "North Dakota",
    "NE": "Nebraska", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada", "NY": "New York",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VA": "Virginia",
    "VT": "Vermont", "WA": "Washington", "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
}
SUBDIVISIONS = {"US": US_STATES}
DEFAULT = ("*", "Default")
MAX_ITEMS = 100

Location = dict[str, str]


@functools.cache
def countries() -> dict[str, str]:
    """Country code → name, from the bundled geolocation database (read-only reference data)."""
    from geoip2fast import geoip2fast as g2f

    g2f.GeoIP2Fast(verbose=False)  # loads the data file, which fills the module's name table
    names: dict[str, str] = getattr(g2f, "geoipCountryNamesDict", {})
    # ISO 3166-1 alpha-2 codes only (the table also names reserved ranges and "EU", "ASIA")
    return {code: names[code] for code in sorted(names)
            if len(code) == 2 and code.isalpha() and code.isupper() and (code in geo.CONTINENT_OF or code not in CONTINENTS)}


@functools.cache
def locations() -> list[Location]:
    """Every supported location, in listing order."""
    out: list[Location] = [{"ContinentCode": c, "ContinentName": n} for c, n in sorted(CONTINENTS.items())]
    out.append({"CountryCode": DEFAULT[0], "CountryName": DEFAULT[1]})
    for code, name in countries().items():
        out.append({"CountryCode": code, "CountryName": name})
        for sub, sub_name in sorted(SUBDIVISIONS.get(code, {}).items()):
            out.append({"CountryCode": code, "CountryName": name, "SubdivisionCode": sub, "SubdivisionName": sub_name})
    return out


def _no_such(what: str) -> AwsError:
    return AwsError.modeled("route53", "NoSuchGeoLocation", f"The specified geolocation ({what}) doesn't exist.")


def get(continent: str | None, country: str | None, subdivision: str | None) -> Location:
    """GetGeoLocation's rules: a continent alone, or a country, or a country and subdivision."""
    if continent and (country or subdivision):
        raise AwsError.modeled("route53", "InvalidInput", "Invalid input: a continent code can't be combined with a country or subdivision code.")
    if subdivision and not country:
        raise AwsError.modeled("route53", "InvalidInput", "Invalid input: a subdivision code requires a country code.")
    if continent:
        if continent not in CONTINENTS:
            raise _no_such(f"continent {continent}")
        return {"ContinentCode": continent, "ContinentName": CONTINENTS[continent]}
    if not country:
        raise AwsError.modeled("route53", "InvalidInput", "Invalid input: specify a continent code, a country code, or a country code and a subdivision code.")
    if country == DEFAULT[0]:
        if subdivision:
            raise _no_such(f"country {country}, subdivision {subdivision}")
        return {"CountryCode": DEFAULT[0], "CountryName": DEFAULT[1]}
    name = countries().get(country)
    if name is None:
        raise _no_such(f"country {country}")
    if not subdivision:
        return {"CountryCode": country, "CountryName": name}
    sub_name = SUBDIVISIONS.get(country, {}).get(subdivision)
    if sub_name is None:
        raise _no_such(f"country {country}, subdivision {subdivision}")
    return {"CountryCode": country, "CountryName": name, "SubdivisionCode": subdivision, "SubdivisionName": sub_name}


def _position(items: list[Location], continent: str | None, country: str | None, subdivision: str | None) -> int:
    """Where a listing starts: at the first location at or after the Start* codes."""
    if continent:
        if country or subdivision:
            raise AwsError.modeled("route53", "InvalidInput", "Invalid input: StartContinentCode can't be combined with StartCountryCode or StartSubdivisionCode.")
        for i, loc in enumerate(items):
            if "ContinentCode" not in loc or loc["ContinentCode"] >= continent:
                return i
        return len(items)
    if subdivision and not country:
        raise AwsError.modeled("route53", "InvalidInput", "Invalid input: StartSubdivisionCode requires StartCountryCode.")
    if not country:
        return 0
    want = (country, subdivision or "")
    for i, loc in enumerate(items):
        if "CountryCode" in loc and (loc["CountryCode"], loc.get("SubdivisionCode", "")) >= want:
            return i
    return len(items)


def page(params: dict[str, Any]) -> dict[str, Any]:
    """One ListGeoLocations page."""
    items = locations()
    size = paging.count(params, "MaxItems", MAX_ITEMS, MAX_ITEMS)
    start = _position(items, params.get("StartContinentCode"), params.get("StartCountryCode"), params.get("StartSubdivisionCode"))
    chunk = items[start : start + size]
    out: dict[str, Any] = {"GeoLocationDetailsList": chunk, "IsTruncated": start + size < len(items), "MaxItems": str(size)}
    if out["IsTruncated"]:
        nxt = items[start + size]
        if "ContinentCode" in nxt:
            out["NextContinentCode"] = nxt["ContinentCode"]
        else:
            out["NextCountryCode"] = nxt["CountryCode"]
            if "SubdivisionCode" in nxt:
                out["NextSubdivisionCode"] = nxt["SubdivisionCode"]
    return out


@operation("route53", "GetGeoLocation")
async def get_geo_location(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await asyncio.to_thread(countries)  # the first call reads the database file: off the loop
    return {"GeoLocationDetails": get(params.get("ContinentCode"), params.get("CountryCode"), params.get("SubdivisionCode"))}


@operation("route53", "ListGeoLocations")
async def list_geo_locations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await asyncio.to_thread(locations)
    return page(params)

"""Where a DNS client is: IP address → (continent, country, subdivision, coordinates).

The default database is the one geoip2fast ships inside its package (countries, IPv4 and
IPv6; no download at run time). `--set route53.geoip_db=PATH` replaces it with a
MaxMind-format file (GeoLite2/GeoIP2 Country or City, read with `maxminddb`), which also
gives US subdivisions and coordinates. Continents come from a country table; coordinates,
when the database has none, from country (else continent) centroids — good enough for the
latency and geoproximity estimates, which only compare distances.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_CONTINENTS = {
    "AF": "DZ AO BJ BW BF BI CM CV CF TD KM CG CD CI DJ EG GQ ER ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ "
          "NA NE NG RE RW SH ST SN SC SL SO ZA SS SD SZ TZ TG TN UG EH ZM ZW",
    "AN": "AQ BV TF HM GS",
    "AS": "AF AM AZ BH BD BT BN KH CN CY GE HK IN ID IR IQ IL JP JO KZ KW KG LA LB MO MY MV MN MM NP KP OM PK PS PH QA "
          "SA SG KR LK SY TW TJ TH TL TR TM AE UZ VN YE IO CC CX",
    "EU": "AX AL AD AT BY BE BA BG HR CZ DK EE FO FI FR DE GI GR GG VA HU IS IE IM IT JE XK LV LI LT LU MT MD MC ME NL "
          "MK NO PL PT RO RU SM RS SK SI ES SJ SE CH UA GB",
    "NA": "AI AG AW BS BB BZ BM BQ VG CA KY CR CU CW DM DO SV GL GD GP GT HT HN JM MQ MX MS NI PA PR BL KN LC MF PM VC "
          "SX TT TC US VI UM",
    "OC": "AS AU CK FJ PF GU KI MH FM NR NC NZ NU NF MP PW PG PN WS SB TK TO TV VU WF",
    "SA": "AR BO BR CL CO EC FK GF GY PY PE SR UY VE",
}
CONTINENT_OF: dict[str, str] = {c: cont for cont, codes in _CONTINENTS.items() for c in codes.split()}

_CONTINENT_CENTROIDS = {"AF": (2.0, 21.0), "AN": (-80.0, 0.0), "AS": (34.0, 100.0), "EU": (50.0, 15.0),
                        "NA": (40.0, -100.0), "OC": (-25.0, 140.0), "SA": (-15.0, -60.0)}
_CENTROIDS_TEXT = """
US 39.8 -98.6;CA 56.1 -106.3;MX 23.6 -102.5;BR -14.2 -51.9;AR -38.4 -63.6;CL -35.7 -71.5;CO 4.6 -74.3;PE -9.2 -75.0
VE 6.4 -66.6;GB 54.0 -2.0;IE 53.4 -8.2;FR 46.2 2.2;DE 51.2 10.5;NL 52.1 5.3;BE 50.5 4.5;LU 49.8 6.1;CH 46.8 8.2
AT 47.5 14.6;IT 41.9 12.6;ES 40.5 -3.7;PT 39.4 -8.2;SE 60.1 18.6;NO 60.5 8.5;FI 61.9 25.7;DK 56.3 9.5;PL 51.9 19.1
CZ 49.8 15.5;HU 47.2 19.5;RO 45.9 25.0;GR 39.1 21.8;UA 48.4 31.2;RU 61.5 105.3;TR 39.0 35.2;IL 31.0 34.9
SA 23.9 45.1;AE 23.4 53.8;EG 26.8 30.8;ZA -30.6 22.9;NG 9.1 8.7;KE -0.0 37.9;MA 31.8 -7.1;IN 20.6 79.0
PK 30.4 69.3;CN 35.9 104.2;JP 36.2 138.3;KR 35.9 127.8;TW 23.7 121.0;HK 22.3 114.2;SG 1.35 103.8;MY 4.2 102.0
TH 15.9 101.0;VN 14.1 108.3;ID -0.8 113.9;PH 12.9 121.8;AU -25.3 133.8;NZ -40.9 174.9;BD 23.7 90.4
"""
CENTROIDS: dict[str, tuple[float, float]] = {}
for _entry in _CENTROIDS_TEXT.replace("\n", ";").split(";"):
    if _entry.strip():
        _c, _lat, _lon = _entry.split()
        CENTROIDS[_c] = (float(_lat), float(_lon))

# AWS regions (latency records, geoproximity AWSRegion): approximate coordinates.
REGION_COORDS: dict[str, tuple[float, float]] = {
    "us-east-1": (38.9, -77.4), "us-east-2": (40.0, -83.0), "us-west-1": (37.4, -121.9), "us-west-2": (45.8, -119.7),
    "ca-central-1": (45.5, -73.6), "ca-west-1": (51.0, -114.1), "mx-central-1": (20.6, -100.4),
    "sa-east-1": (-23.5, -46.6), "eu-west-1": (53.3, -6.3), "eu-west-2": (51.5, -0.1), "eu-west-3": (48.9, 2.4),
    "eu-central-1": (50.1, 8.7), "eu-central-2": (47.4, 8.5), "eu-north-1": (59.3, 18.1), "eu-south-1": (45.5, 9.2),
    "eu-south-2": (41.6, -0.9), "me-south-1": (26.1, 50.6), "me-central-1": (25.2, 55.3), "il-central-1": (32.1, 34.8),
    "af-south-1": (-33.9, 18.4), "ap-east-1": (22.3, 114.2), "ap-south-1": (19.1, 72.9), "ap-south-2": (17.4, 78.5),
    "ap-northeast-1": (35.7, 139.7), "ap-northeast-2": (37.6, 127.0), "ap-northeast-3": (34.7, 135.5),
    "ap-southeast-1": (1.3, 103.8), "ap-southeast-2": (-33.9, 151.2), "ap-southeast-3": (-6.2, 106.8),
    "ap-southeast-4": (-37.8, 145.0), "ap-southeast-5": (3.1, 101.7), "ap-southeast-7": (13.8, 100.5),
    "cn-north-1": (39.9, 116.4), "cn-northwest-1": (37.5, 105.2), "us-gov-west-1": (45.8, -119.7), "us-gov-east-1": (40.0, -83.0),
}
UNKNOWN_COORDS = REGION_COORDS["us-east-1"]  # clients the database cannot place


@dataclass(frozen=True)
class Location:
    continent: str | None = None
    country: str | None = None
    subdivision: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def coords(self) -> tuple[float, float]:
        if self.lat is not None and self.lon is not None:
            return (self.lat, self.lon)
        if self.country in CENTROIDS:
            return CENTROIDS[self.country]
        if self.continent in _CONTINENT_CENTROIDS:
            return _CONTINENT_CENTROIDS[self.continent]
        return UNKNOWN_COORDS


UNKNOWN = Location()


def from_country(country: str | None, subdivision: str | None = None, lat: float | None = None,
                 lon: float | None = None) -> Location:
    if not country or len(country) != 2 or country == "--":
        return UNKNOWN
    country = country.upper()
    return Location(CONTINENT_OF.get(country), country, subdivision, lat, lon)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def latency_ms(client: Location, region: str) -> float:
    """The latency table gureum derives: 5 ms plus light in fibre (~100 km per ms round trip
    over a path 1.5× the great circle)."""
    coords = REGION_COORDS.get(region)
    if coords is None:
        return 1e9
    return 5.0 + distance_km(client.coords, coords) * 1.5 / 100.0


class GeoDB:
    """IP → Location. Subclasses wrap one database; `locate` never raises."""

    name = "none"

    def locate(self, ip: str) -> Location:
        return UNKNOWN


class GeoIP2FastDB(GeoDB):
    """The country database geoip2fast ships in its wheel."""

    name = "geoip2fast (bundled)"

    def __init__(self) -> None:
        from geoip2fast import GeoIP2Fast

        self._db = GeoIP2Fast(verbose=False)
        try:
            self._db6 = GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz", verbose=False)
        except Exception:  # noqa: BLE001 - IPv6 data is optional
            self._db6 = None

    def locate(self, ip: str) -> Location:
        db = self._db6 if (":" in ip and self._db6 is not None) else self._db
        try:
            result = db.lookup(ip)
        except Exception:  # noqa: BLE001 - the library raises on odd input
            return UNKNOWN
        return from_country(getattr(result, "country_code", None))


class MaxMindDB(GeoDB):
    """A MaxMind-format file (GeoLite2/GeoIP2 Country or City)."""

    def __init__(self, path: str) -> None:
        import maxminddb

        self._reader = maxminddb.open_database(path)
        self.name = f"maxmind {path}"

    def locate(self, ip: str) -> Location:
        try:
            rec: Any = self._reader.get(ip)  # decoded MaxMind record: nested dicts and lists
        except ValueError:
            return UNKNOWN
        if not rec:
            return UNKNOWN
        country = (rec.get("country") or rec.get("registered_country") or {}).get("iso_code")
        subs = rec.get("subdivisions") or []
        sub = subs[0].get("iso_code") if subs else None
        loc = rec.get("location") or {}
        out = from_country(country, sub, loc.get("latitude"), loc.get("longitude"))
        cont = (rec.get("continent") or {}).get("code")
        if cont and out.continent != cont:
            out = Location(cont, out.country, out.subdivision, out.lat, out.lon)
        return out


class LazyGeoDB(GeoDB):
    """The configured database, loaded on first use: it costs tens of MiB and about 0.2 s,
    which only nodes whose zones route by location should pay. The DNS server loads it
    ahead (off the loop) when its zones need it; otherwise the first located query does."""

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._db: GeoDB | None = None
        self._lock = threading.Lock()

    def load(self) -> GeoDB:
        with self._lock:
            if self._db is None:
                self._db = open_db(self._path)
            return self._db

    def locate(self, ip: str) -> Location:
        return (self._db or self.load()).locate(ip)


LOCATION_FIELDS = ("GeoLocation", "GeoProximityLocation", "Region")


def needs_location(record_sets: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any record set routes by the client's location (only a document can: the
    index's compact PlainDoc is a plain set)."""
    return any(isinstance(rrset, dict) and not rrset.keys().isdisjoint(LOCATION_FIELDS) for rrset in record_sets)


def open_db(path: str | None) -> GeoDB:
    """The configured database: a MaxMind file when given, else geoip2fast's bundled data,
    else none (every client unplaced)."""
    if path:
        return MaxMindDB(path)
    try:
        return GeoIP2FastDB()
    except ImportError:
        return GeoDB()

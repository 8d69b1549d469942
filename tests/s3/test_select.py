"""SelectObjectContent (S3 Select) end to end: SQL over CSV and JSON objects, the answer read
through boto3's EventStream (Records, Stats, End events)."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
from botocore.exceptions import ClientError, EventStreamError

CSV = b"name,age,city\nalice,30,Seoul\nbob,25,Busan\ncarol,41,Seoul\n\"kim, d\",35,Incheon\n"
LINES = b'{"id":1,"user":{"name":"ann","tags":["a","b"]},"n":2.5}\n{"id":2,"user":{"name":"ben","tags":[]},"n":4}\n'


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"sel-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="people.csv", Body=CSV)
    s3.put_object(Bucket=name, Key="people.csv.gz", Body=gzip.compress(CSV))
    s3.put_object(Bucket=name, Key="rows.json", Body=LINES)
    s3.put_object(Bucket=name, Key="doc.json", Body=b'[{"k":"x","v":1},{"k":"y","v":2},{"k":"z","v":3}]')
    return name


def _select(s3, bucket, key, sql, inp, out=None):
    resp = s3.select_object_content(Bucket=bucket, Key=key, Expression=sql, ExpressionType="SQL",
                                    InputSerialization=inp, OutputSerialization=out or {"CSV": {}})
    records, stats, ended = b"", None, False
    for event in resp["Payload"]:
        if "Records" in event:
            records += event["Records"]["Payload"]
        elif "Stats" in event:
            stats = event["Stats"]["Details"]
        elif "End" in event:
            ended = True
    return records.decode(), stats, ended


USE = {"CSV": {"FileHeaderInfo": "USE"}}


def test_csv_projection_where_and_limit(s3, bucket):
    out, stats, ended = _select(s3, bucket, "people.csv",
                                "SELECT s.name, s.age FROM S3Object s WHERE s.city = 'Seoul'", USE)
    assert out == "alice,30\ncarol,41\n"
    assert ended and stats["BytesScanned"] == len(CSV) and stats["BytesReturned"] == len(out)
    out, _, _ = _select(s3, bucket, "people.csv", "SELECT * FROM S3Object LIMIT 2", {"CSV": {}})
    assert out == "name,age,city\nalice,30,Seoul\n"  # no header use: the first line is a record
    out, _, _ = _select(s3, bucket, "people.csv", "SELECT s._1 FROM S3Object s WHERE CAST(s._2 AS INT) > 30 "
                        "OR s._1 LIKE 'b%'", {"CSV": {"FileHeaderInfo": "IGNORE"}})
    assert out == "bob\ncarol\n\"kim, d\"\n"


def test_csv_aggregates_and_cast(s3, bucket):
    out, _, _ = _select(s3, bucket, "people.csv",
                        "SELECT COUNT(*), SUM(CAST(age AS INT)), MIN(CAST(age AS INT)), MAX(CAST(age AS INT)), "
                        "AVG(CAST(age AS INT)) FROM S3Object WHERE city <> 'Busan'", USE)
    count, total, low, high, avg = out.strip().split(",")
    assert (count, total, low, high) == ("3", "106", "30", "41") and float(avg) == pytest.approx(106 / 3)
    out, _, _ = _select(s3, bucket, "people.csv.gz", "SELECT COUNT(*) FROM S3Object s WHERE s.age BETWEEN 26 AND 40",
                        {"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": "GZIP"})
    assert out == "2\n"


def test_json_lines_and_documents_to_json(s3, bucket):
    out, _, _ = _select(s3, bucket, "rows.json", "SELECT s.id, s.user.name AS who, s.user.tags[0] FROM S3Object s "
                        "WHERE s.n > 3 OR s.user.name = 'ann'", {"JSON": {"Type": "LINES"}}, {"JSON": {}})
    assert [json.loads(x) for x in out.splitlines()] == [{"id": 1, "who": "ann", "_3": "a"}, {"id": 2, "who": "ben"}]
    out, _, _ = _select(s3, bucket, "doc.json", "SELECT * FROM S3Object[*] s WHERE s.v >= 2",
                        {"JSON": {"Type": "DOCUMENT"}}, {"JSON": {}})
    assert [json.loads(x) for x in out.splitlines()] == [{"k": "y", "v": 2}, {"k": "z", "v": 3}]
    out, _, _ = _select(s3, bucket, "doc.json", "SELECT UPPER(s.k) || '!' FROM S3Object[*] s LIMIT 1",
                        {"JSON": {"Type": "DOCUMENT"}})
    assert out == "X!\n"


def test_bad_queries_get_aws_errors(s3, bucket):
    for sql, code in (("SELECT FROM S3Object", "ParseExpectedExpression"),
                      ("SELECT * FROM elsewhere", "ParseUnexpectedToken"),
                      ("SELECT name, COUNT(*) FROM S3Object", "UnsupportedSqlOperation")):
        with pytest.raises(ClientError) as e:
            _select(s3, bucket, "people.csv", sql, USE)
        assert e.value.response["Error"]["Code"] == code
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        _select(s3, bucket, "people.csv", "SELECT * FROM S3Object", {"Parquet": {}})
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:  # the first record fails to cast: an HTTP error
        _select(s3, bucket, "people.csv", "SELECT CAST(name AS INT) FROM S3Object", USE)
    assert e.value.response["Error"]["Code"] == "CastFailed"
    # a record past the first fails: the answer so far, then an error event in the stream
    s3.put_object(Bucket=bucket, Key="numbers.csv", Body=b"1\n2\nthree\n")
    with pytest.raises(EventStreamError) as e:
        _select(s3, bucket, "numbers.csv", "SELECT CAST(s._1 AS INT) FROM S3Object s", {"CSV": {}})
    assert "CastFailed" in str(e.value)


def test_scan_range_progress_and_output_options(s3, bucket):
    body = CSV.split(b"\n", 1)[1]  # the records without the header line
    s3.put_object(Bucket=bucket, Key="plain.csv", Body=body)
    second = body.index(b"bob")
    resp = s3.select_object_content(Bucket=bucket, Key="plain.csv", Expression="SELECT s._1 FROM S3Object s",
                                    ExpressionType="SQL", InputSerialization={"CSV": {}},
                                    OutputSerialization={"CSV": {"QuoteFields": "ALWAYS", "RecordDelimiter": ";"}},
                                    ScanRange={"Start": second - 2, "End": second + 5},
                                    RequestProgress={"Enabled": True})
    records, progress = b"", None
    for event in resp["Payload"]:
        if "Records" in event:
            records += event["Records"]["Payload"]
        elif "Progress" in event:
            progress = event["Progress"]["Details"]
    # the range starts inside alice's record: it begins at the next one, and ends with the
    # record the range's end falls in
    assert records == b'"bob";'
    assert progress is not None and progress["BytesReturned"] == len(records)
    out, _, _ = _select(s3, bucket, "people.csv", "SELECT s.name AS who, s.age FROM S3Object s LIMIT 1", USE,
                        {"JSON": {"RecordDelimiter": "|"}})
    assert out == '{"who":"alice","age":"30"}|'

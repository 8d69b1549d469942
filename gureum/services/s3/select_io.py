"""S3 Select's input readers and output writers, synchronous (run on a worker thread): an
object's blob pieces read as one stream (GZIP and BZIP2 undone), CSV and JSON records turned
into `select_eval.Record`s, answered rows written as CSV or JSON, and the whole answer framed as
the event stream AWS sends: Records events (at most RECORDS_CHUNK bytes each), an optional
Progress, Stats, End — or an error event where evaluation fails after the answer has begun."""

from __future__ import annotations

import bz2
import csv
import decimal
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from gureum.aws import eventstream
from gureum.aws.errors import AwsError
from gureum.services.s3 import select_eval, select_sql

if TYPE_CHECKING:
    from gureum.blobs import BlobStore

RECORDS_CHUNK = 64 * 1024


class PiecesReader(io.RawIOBase):
    """The concatenation of blob pieces ([digest, size], ...) as one readable stream, with a
    count of the bytes read."""

    def __init__(self, store: BlobStore, pieces: list[list[Any]]) -> None:
        self._store, self._pieces = store, list(pieces)
        self._current: BinaryIO | None = None
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._current is None:
                if not self._pieces:
                    return 0
                self._current = self._store.open(self._pieces.pop(0)[0])
            data = self._current.read(len(buffer))
            if data:
                buffer[:len(data)] = data
                self.count += len(data)
                return len(data)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        super().close()


class Counting(io.RawIOBase):
    """A stream that counts the (uncompressed) bytes read through it."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)


def _bad(code: str, message: str) -> AwsError:
    return AwsError.modeled("s3", code, message)


def open_input(raw: BinaryIO, compression: str | None) -> BinaryIO:
    if compression in (None, "", "NONE"):
        return raw
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "BZIP2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    raise _bad("InvalidCompressionFormat", "The file is not in a supported compression format. Only GZIP and BZIP2 "
               "are supported.")


def _lines(text: io.TextIOBase, delimiter: str) -> Iterator[str]:
    """The text split after each record delimiter (csv.reader then sees one record a line)."""
    if delimiter in ("\n", "\r\n"):
        yield from text
        return
    pending = ""
    while True:
        chunk = text.read(1 << 16)
        if not chunk:
            break
        pending += chunk
        *whole, pending = pending.split(delimiter)
        for line in whole:
            yield line + "\n"
    if pending:
        yield pending


def csv_records(stream: BinaryIO, spec: dict[str, Any]) -> Iterator[select_eval.Record]:
    header_info = (spec.get("FileHeaderInfo") or "NONE").upper()
    if header_info not in ("NONE", "USE", "IGNORE"):
        raise _bad("InvalidFileHeaderInfo", "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.")
    quote = spec.get("QuoteCharacter", '"') or '"'
    escape = spec.get("QuoteEscapeCharacter") or quote
    delimiter = spec.get("FieldDelimiter") or ","
    comments = spec.get("Comments") or None
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    reader = csv.reader(_lines(text, spec.get("RecordDelimiter") or "\n"), delimiter=delimiter[0],
                        quotechar=quote[0], escapechar=None if escape == quote else escape[0],
                        doublequote=escape == quote)
    header: dict[str, int] | None = None
    names: list[str] = []
    try:
        for fields in reader:
            if not fields or (comments and fields[0].startswith(comments)):
                continue
            if header_info != "NONE" and header is None and not names:
                names = [f.strip() for f in fields]
                header = {n.lower(): i for i, n in reversed(list(enumerate(names)))} if header_info == "USE" else {}
                if header_info == "IGNORE":
                    names = []
                continue
            yield select_eval.Record(fields=fields, header=header or None, names=names)
    except UnicodeDecodeError:
        raise _bad("InvalidTextEncoding", "UTF-8 encoding is required.") from None
    except csv.Error as err:
        raise _bad("CSVParsingError", f"Encountered an error parsing the CSV file: {err}") from None


def json_records(stream: BinaryIO, spec: dict[str, Any], wildcard: bool) -> Iterator[select_eval.Record]:
    kind = (spec.get("Type") or "").upper()
    if kind not in ("DOCUMENT", "LINES"):
        raise _bad("InvalidRequest", "The JSON Type must be DOCUMENT or LINES.")
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8")
        values: Iterable[Any]
        if kind == "LINES":
            values = (json.loads(line, parse_float=decimal.Decimal) for line in text if line.strip())
        else:
            values = _documents(text.read())
        for value in values:
            if wildcard and isinstance(value, list):
                for item in value:
                    yield select_eval.Record(doc=item)
            else:
                yield select_eval.Record(doc=value)
    except UnicodeDecodeError:
        raise _bad("InvalidTextEncoding", "UTF-8 encoding is required.") from None
    except ValueError as err:
        raise _bad("JSONParsingError", f"Encountered an error parsing the JSON file: {err}") from None


def _documents(text: str) -> Iterator[Any]:
    decoder = json.JSONDecoder(parse_float=decimal.Decimal)
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        value, i = decoder.raw_decode(text, i)
        yield value


# -- output ------------------------------------------------------------------------------------

def _json_value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


class Writer:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.csv = spec.get("CSV")
        self.js = spec.get("JSON")
        if (self.csv is None) == (self.js is None):
            raise _bad("ObjectSerializationConflict", "OutputSerialization specifies more than one format "
                       "(CSV, JSON), or none.")

    def row(self, row: select_eval.Row) -> str:
        if self.js is not None:
            delim = self.js.get("RecordDelimiter") or "\n"
            return json.dumps({k: _json_value(v) for k, v in row}, separators=(",", ":"),
                              default=str, ensure_ascii=False) + delim
        c = self.csv or {}
        fd, rd = c.get("FieldDelimiter") or ",", c.get("RecordDelimiter") or "\n"
        q = c.get("QuoteCharacter") or '"'
        esc = c.get("QuoteEscapeCharacter") or q
        always = (c.get("QuoteFields") or "ASNEEDED").upper() == "ALWAYS"
        out = []
        for _, v in row:
            s = select_eval.format_value(v)
            if always or any(x in s for x in (fd, rd, q, "\n", "\r")):
                s = q + s.replace(q, esc + q) + q
            out.append(s)
        return fd.join(out) + rd


@dataclass
class Answer:
    events: list[bytes] = field(default_factory=list)
    returned: int = 0


def _stats(tag: str, scanned: int, processed: int, returned: int) -> bytes:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><{tag} xmlns=""><BytesScanned>{scanned}</BytesScanned>'
            f"<BytesProcessed>{processed}</BytesProcessed><BytesReturned>{returned}</BytesReturned></{tag}>")
    return eventstream.raw_event(tag, body.encode(), "text/xml")


def answer(query: select_sql.Query, records: Iterator[select_eval.Record], writer: Writer,
           counters: tuple[PiecesReader, Counting], progress: bool) -> Answer:
    """Run the query and frame its answer. An evaluation error before the first row is raised
    (an HTTP error); after it, it ends the stream as an error event, as AWS does."""
    out = Answer()
    buf: list[str] = []
    size = 0
    started = False

    def flush() -> None:
        nonlocal buf, size
        if buf:
            data = "".join(buf).encode()
            out.events.append(eventstream.raw_event("Records", data, "application/octet-stream"))
            out.returned += len(data)
            buf, size = [], 0

    try:
        for row in select_eval.run(query, records):
            text = writer.row(row)
            buf.append(text)
            size += len(text)
            started = True
            if size >= RECORDS_CHUNK:
                flush()
    except AwsError as err:
        if not started:
            raise
        flush()
        out.events.append(eventstream.error(err.code, err.message))
        return out
    flush()
    scanned, processed = counters[0].count, counters[1].count
    if progress:
        out.events.append(_stats("Progress", scanned, processed, out.returned))
    out.events.append(_stats("Stats", scanned, processed, out.returned))
    out.events.append(eventstream.raw_event("End"))
    return out

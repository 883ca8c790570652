"""Writes events and labels, and reads scores, in the job's wire format, from Python.

Every record is Avro single-object encoded: the 10-byte header of its schema (C3 01, then the schema's
fingerprint, little-endian), then the Avro binary body. The headers below are what `./hiformer schemas`
prints; write them as they are rather than a header your Avro library computes (Debian's python3-avro 1.11
fingerprints its own reading of the schema and gets another number, and the job would dead-letter every
record as "written with an unknown schema"). The body is plain Avro binary, which any library writes
correctly. Needs the `avro` package (Debian: python3-avro) and the .avsc files of schemas/src/main/avro.

Send the bytes with any Kafka client, for example confluent-kafka:

    producer.produce("events", key=b"movielens", value=encode("event", {...}))

Run as a script it checks itself: `encode-events N` prints N example events in hex, one per line (the
input of `./hiformer schemas --check FILE --type event`), and `decode-scores` reads score records in hex
from standard input and prints each as JSON.
"""

import datetime
import io
import json
import pathlib
import sys

import avro.io
import avro.schema

HEADERS = {
    "event": bytes.fromhex("c3015af4276156b1251f"),
    "label": bytes.fromhex("c301564670556cad9d6d"),
    "score": bytes.fromhex("c3015592bfcbaaee1e0b"),
}
SCHEMA_FILES = {"event": "Event.avsc", "label": "Label.avsc", "score": "Score.avsc"}
AVRO_DIR = pathlib.Path(__file__).resolve().parents[2] / "schemas" / "src" / "main" / "avro"


def schema(kind):
    return avro.schema.parse((AVRO_DIR / SCHEMA_FILES[kind]).read_text())


def encode(kind, record):
    """The record (a dict as the schema names its fields) as one Kafka record value."""
    body = io.BytesIO()
    avro.io.DatumWriter(schema(kind)).write(record, avro.io.BinaryEncoder(body))
    return HEADERS[kind] + body.getvalue()


def decode(kind, value):
    """One Kafka record value of this kind as a dict; ValueError if its header is not this schema's."""
    if value[:10] != HEADERS[kind]:
        raise ValueError(f"not a {kind} record: header {value[:10].hex()}, expected {HEADERS[kind].hex()}")
    reader = avro.io.DatumReader(schema(kind))
    return reader.read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))


def example_event(i):
    return {
        "requestId": f"py-{i}",
        "modelId": "movielens",
        # timestamp-millis: the library takes an aware datetime
        "eventTime": datetime.datetime(2026, 12, 6, tzinfo=datetime.timezone.utc)
        + datetime.timedelta(seconds=i),
        "categorical": {"user_id": f"u{i % 7}", "item_id": f"i{i % 5}"},
        "multi": {"genres": ["Drama", "Comedy"][: 1 + i % 2]},
        "numeric": {"age": 20.0 + i},
        "labels": {},
    }


def main(args):
    if args[:1] == ["encode-events"]:
        for i in range(int(args[1])):
            print(encode("event", example_event(i)).hex())
    elif args[:1] == ["decode-scores"]:
        for line in sys.stdin:
            if line.strip():
                score = decode("score", bytes.fromhex(line.strip()))
                for k in ("eventTime", "scoringTime"):
                    score[k] = int(score[k].timestamp() * 1000)
                print(json.dumps(score, sort_keys=True))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

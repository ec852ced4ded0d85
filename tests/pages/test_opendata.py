"""The open-data publication: its metadata validates, its CSV meets its own Table Schema, its
numbers are the result's, it is byte-stable and it holds no personal data."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from evote.cli import main
from evote.cli.verify import read_checkpoint_file
from evote.errors import ElectionNotOpen, InvalidInput
from evote.pages.opendata import (
    DATAPACKAGE_JSON,
    DCAT_JSONLD,
    Publication,
    open_data_files,
)
from tests.pages.conftest import Demo

SCHEMA_PATH = Path(__file__).parent / "schemas" / "datapackage-2.0.json"


@pytest.fixture(scope="module")
def package_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture
def files(demo: Demo, publication: Publication) -> dict[str, bytes]:
    return open_data_files(demo.view, publication)


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def table_errors(data: bytes, schema: Mapping[str, Any]) -> list[str]:
    """Check a CSV against its Table Schema: header, required, types, minimum, enum."""
    rows = rows_of(data)
    fields = schema["fields"]
    errors = []
    if rows[0] != [field["name"] for field in fields]:
        errors.append(f"header {rows[0]}")
    missing = schema.get("missingValues", [""])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(fields):
            errors.append(f"row {number}: {len(row)} cells")
            continue
        for field, cell in zip(fields, row, strict=True):
            where = f"row {number} {field['name']}"
            constraints = field.get("constraints", {})
            if cell in missing:
                if constraints.get("required"):
                    errors.append(f"{where}: required")
                continue
            if field["type"] == "integer":
                if not cell.isdigit() and not (cell.startswith("-") and cell[1:].isdigit()):
                    errors.append(f"{where}: {cell!r} not an integer")
                    continue
                if "minimum" in constraints and int(cell) < constraints["minimum"]:
                    errors.append(f"{where}: {cell} below the minimum")
            elif field["type"] == "boolean" and cell not in ("true", "false"):
                errors.append(f"{where}: {cell!r} not a boolean")
            if "enum" in constraints and cell not in constraints["enum"]:
                errors.append(f"{where}: {cell!r} not allowed")
    return errors


def schema_of(files: Mapping[str, bytes], path: str) -> dict[str, Any]:
    package = json.loads(files[DATAPACKAGE_JSON])
    resource = next(item for item in package["resources"] if item["path"] == path)
    schema: dict[str, Any] = resource["schema"]
    return schema


def test_the_datapackage_validates_against_the_published_profile(
    files: dict[str, bytes], package_validator: jsonschema.Draft7Validator
) -> None:
    package = json.loads(files[DATAPACKAGE_JSON])
    assert list(package_validator.iter_errors(package)) == []
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert [item["path"] for item in package["resources"]] == [
        "results.csv", "turnout.csv", "results.json", "checkpoint.json",
    ]  # fmt: skip


def test_the_profile_rejects_a_broken_table_schema(
    files: dict[str, bytes], package_validator: jsonschema.Draft7Validator
) -> None:
    package = json.loads(files[DATAPACKAGE_JSON])
    package["resources"][0]["schema"]["fields"][0]["type"] = "number-ish"
    assert list(package_validator.iter_errors(package))
    del package["resources"]
    assert any("resources" in error.message for error in package_validator.iter_errors(package))


def test_each_csv_meets_its_own_table_schema(files: dict[str, bytes]) -> None:
    for name in ("results.csv", "turnout.csv"):
        assert table_errors(files[name], schema_of(files, name)) == [], name


def test_the_table_check_rejects_a_mutated_csv(files: dict[str, bytes]) -> None:
    schema = schema_of(files, "results.csv")
    rows = rows_of(files["results.csv"])
    votes = rows[0].index("votes")
    bad = [list(row) for row in rows]
    bad[1][votes] = "four"
    bad[2][rows[0].index("question_id")] = ""
    bad[3][rows[0].index("entry")] = "candidate"
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(bad)
    errors = table_errors(text.getvalue().encode(), schema)
    assert errors == [
        "row 2 votes: 'four' not an integer",
        "row 3 question_id: required",
        "row 4 entry: 'candidate' not allowed",
    ]


def test_the_csv_numbers_are_the_result(demo: Demo, files: dict[str, bytes]) -> None:
    result = demo.view.result
    assert result is not None
    rows = rows_of(files["results.csv"])
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    expected = []
    for outcome in result.questions:
        for option_id, votes in outcome.counts:
            funded = ""
            if outcome.kind.value == "budget":
                funded = "true" if option_id in outcome.winners else "false"
            expected.append((outcome.question_id, "option", option_id, str(votes), funded))
        if outcome.blank is not None:
            expected.append((outcome.question_id, "blank", "", str(outcome.blank), ""))
    got = [(r["question_id"], r["entry"], r["option_id"], r["votes"], r["funded"]) for r in records]
    assert got == expected
    assert {r["option_label_fr"] for r in records} >= {"Oui", "Non", "blanc"}
    turnout = rows_of(files["turnout.csv"])
    assert turnout[1] == [
        demo.view.election_id, str(result.turnout.ballots), str(result.turnout.weight),
        str(demo.view.ballots), "1",
    ]  # fmt: skip
    document = json.loads(files["results.json"])
    assert document["turnout"] == {"ballots": result.turnout.ballots,
                                   "weight": result.turnout.weight}  # fmt: skip
    assert document["fingerprint"] == demo.record.election.fingerprint.hex()


def test_sizes_and_hashes_are_the_files(files: dict[str, bytes]) -> None:
    package = json.loads(files[DATAPACKAGE_JSON])
    for resource in package["resources"]:
        data = files[resource["path"]]
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    dataset = json.loads(files[DCAT_JSONLD])["@graph"][0]
    for distribution in dataset["dcat:distribution"]:
        name = distribution["dcat:downloadURL"]["@id"].rsplit("/", 1)[1]
        data = files[name]
        assert distribution["dcat:byteSize"]["@value"] == str(len(data))
        checksum = distribution["spdx:checksum"]["spdx:checksumValue"]["@value"]
        assert checksum == hashlib.sha256(data).hexdigest()


def dcat_ap_errors(document: Mapping[str, Any]) -> list[str]:
    """DCAT-AP's mandatory properties, and the recommended ones this publication promises."""
    errors = []
    datasets = [node for node in document["@graph"] if node.get("@type") == "dcat:Dataset"]
    if len(datasets) != 1:
        return [f"{len(datasets)} datasets"]
    dataset = datasets[0]
    for name in ("dct:title", "dct:description"):  # mandatory
        values = dataset.get(name) or []
        if not values or not all(item.get("@value", "").strip() for item in values):
            errors.append(f"dataset: {name} missing")
    for name in ("dct:publisher", "dct:issued", "dct:modified", "dcat:keyword", "dcat:theme",
                 "dct:temporal", "dcat:distribution"):  # fmt: skip
        if not dataset.get(name):
            errors.append(f"dataset: {name} missing")
    if not dataset.get("dct:publisher", {}).get("foaf:name"):
        errors.append("publisher: foaf:name missing")
    for index, item in enumerate(dataset.get("dcat:distribution", [])):
        if item.get("@type") != "dcat:Distribution":
            errors.append(f"distribution {index}: not a dcat:Distribution")
        if not item.get("dcat:accessURL", {}).get("@id"):  # mandatory
            errors.append(f"distribution {index}: dcat:accessURL missing")
        for name in ("dcat:downloadURL", "dcat:mediaType", "dct:format", "dct:license",
                     "spdx:checksum", "dcat:byteSize", "dct:title"):  # fmt: skip
            if not item.get(name):
                errors.append(f"distribution {index}: {name} missing")
    return errors


def test_the_dcat_ap_metadata_has_the_mandatory_and_promised_properties(
    files: dict[str, bytes], publication: Publication
) -> None:
    document = json.loads(files[DCAT_JSONLD])
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert dcat_ap_errors(document) == []
    dataset = document["@graph"][0]
    assert {item["@language"] for item in dataset["dct:title"]} == {"en", "fr"}
    assert dataset["dct:spatial"] == {"@id": publication.spatial}
    issued = datetime.fromtimestamp(files_checkpoint_time(files), UTC)
    assert dataset["dct:issued"]["@value"] == issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    urls = sorted(item["dcat:downloadURL"]["@id"] for item in dataset["dcat:distribution"])
    assert urls == sorted(publication.url(name) for name in files if name != DCAT_JSONLD)
    licences = {item["dct:license"]["@id"] for item in dataset["dcat:distribution"]}
    assert licences == {"https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}


def files_checkpoint_time(files: Mapping[str, bytes]) -> int:
    timestamp: int = json.loads(files["checkpoint.json"])["timestamp"]
    return timestamp


def test_the_dcat_ap_check_names_what_is_missing(files: dict[str, bytes]) -> None:
    document = json.loads(files[DCAT_JSONLD])
    dataset = document["@graph"][0]
    del dataset["dct:description"]
    del dataset["dcat:distribution"][1]["dcat:accessURL"]
    assert dcat_ap_errors(document) == [
        "dataset: dct:description missing",
        "distribution 1: dcat:accessURL missing",
    ]


def test_the_files_are_byte_stable(demo: Demo, publication: Publication) -> None:
    first = open_data_files(demo.view, publication)
    second = open_data_files(demo.view, publication)
    assert first == second
    assert list(first) == [
        "results.csv", "turnout.csv", "results.json", "checkpoint.json",
        "datapackage.json", "dcat.jsonld",
    ]  # fmt: skip
    later = replace(publication, issued=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    dated = open_data_files(demo.view, later)
    assert b"2030-01-02T03:04:05Z" in dated[DCAT_JSONLD]
    assert dated["results.csv"] == first["results.csv"]


def test_no_personal_data(demo: Demo, files: dict[str, bytes]) -> None:
    credentials = [base64.b64encode(code).decode() for code in
                   demo.record.election.credentials.encodings()]  # fmt: skip
    audited = [line.tracking_code for line in demo.view.audits]
    everything = b"".join(files.values()).decode("utf-8")
    for secret in [*credentials, *(code for code in audited if code)]:
        assert secret not in everything
    for credential in demo.record.election.credentials.encodings():
        assert credential.hex() not in everything


def test_the_checkpoint_file_is_what_verify_reads(
    demo: Demo, files: dict[str, bytes], tmp_path: Path
) -> None:
    path = tmp_path / "checkpoint.json"
    path.write_bytes(files["checkpoint.json"])
    assert read_checkpoint_file(path) == demo.record.checkpoints[-1]
    done = subprocess.run(
        [sys.executable, "-m", "evote.cli", "verify", str(demo.record_path), "--jobs", "1",
         "--checkpoint", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_publication_refuses_bad_options() -> None:
    with pytest.raises(InvalidInput, match=r"base URL 'data\.example\.org': expected an http"):
        Publication(base_url="data.example.org", publisher="Ville")
    with pytest.raises(InvalidInput, match=r"licence 'gpl': expected one of etalab-2\.0"):
        Publication(base_url="https://x.example/", publisher="Ville", licence="gpl")
    with pytest.raises(InvalidInput, match="publisher: give"):
        Publication(base_url="https://x.example/", publisher="  ")
    with pytest.raises(InvalidInput, match="spatial 'a place': expected an IRI"):
        Publication(base_url="https://x.example/", publisher="V", spatial="a place")


def test_no_open_data_before_the_result(demo: Demo, publication: Publication) -> None:
    with pytest.raises(ElectionNotOpen, match="no result yet"):
        open_data_files(replace(demo.view, result=None), publication)


def cli(*args: str) -> int:
    return main(["results", *args])


def test_the_cli_writes_the_same_folder_twice(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--format", "opendata", "--base-url", "https://data.example.org/v/",
               "--publisher", "Ville", "--licence", "cc-by-4.0"]  # fmt: skip
    assert cli(str(demo.record_path), *options, "--out", str(tmp_path / "a")) == 0
    assert cli(str(demo.record_path), *options, "--out", str(tmp_path / "b")) == 0
    names = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert names == sorted(["results.csv", "turnout.csv", "results.json", "checkpoint.json",
                            "datapackage.json", "dcat.jsonld"])  # fmt: skip
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (
        "https://creativecommons.org/licenses/by/4.0/"
        in (tmp_path / "a" / "dcat.jsonld").read_text()
    )
    assert str(tmp_path / "a" / "dcat.jsonld") in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--format opendata needs --out DIR"),
        (["--out", "OUT"], "--format opendata needs --base-url"),
        (["--out", "OUT", "--base-url", "https://x.example/"], "needs --publisher"),
        (["--out", "OUT", "--base-url", "https://x.example/", "--publisher", "V",
          "--issued", "2027-01-01"], "--issued '2027-01-01': expected an ISO 8601"),
    ],
)  # fmt: skip
def test_the_cli_says_what_is_missing(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
    message: str,
) -> None:  # fmt: skip
    extra = [str(tmp_path / "out") if item == "OUT" else item for item in extra]
    assert cli(str(demo.record_path), "--format", "opendata", *extra) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_no_publication_without_a_checkpoint_or_a_dated_issue(
    demo: Demo, publication: Publication
) -> None:
    with pytest.raises(InvalidInput, match="no signed checkpoint to publish"):
        open_data_files(replace(demo.view, last_checkpoint=None), publication)
    with pytest.raises(InvalidInput, match="issued: give a date and time with a timezone"):
        replace(publication, issued=datetime(2027, 1, 1))


def test_the_cli_refuses_a_file_as_its_folder(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    code = cli(str(demo.record_path), "--format", "opendata", "--out", str(target),
               "--base-url", "https://x.example/", "--publisher", "V")  # fmt: skip
    assert code == 2
    assert f"--out {target}: not a directory" in capsys.readouterr().err
    assert target.read_text() == "mine"

"""The field specification is the one place fields and limits are written: every consumer
takes them from it, and it agrees with the EU DCC schema."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, get_args

import pytest
from annotated_types import MaxLen
from pydantic import BaseModel

from healthcert.model import fields
from healthcert.model.certificate import Holder, Recovery, TestResult, Vaccination

_MODELS: dict[str, type[BaseModel]] = {
    "vaccination": Vaccination,
    "test": TestResult,
    "recovery": Recovery,
}
_GROUPS = {"vaccination": "vaccination_entry", "test": "test_entry", "recovery": "recovery_entry"}


def _schema() -> dict[str, Any]:
    path = resources.files("healthcert.formats.eu_dcc") / "data/eu-dcc-schema"
    document: dict[str, Any] = json.loads((path / "DCC.combined-schema.json").read_text())
    return document


def _resolved(schema: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    reference = prop.get("$ref")
    if reference is None:
        return prop
    resolved: dict[str, Any] = schema["$defs"][reference.removeprefix("#/$defs/")]
    return {**resolved, **{key: value for key, value in prop.items() if key != "$ref"}}


def _model_max_length(model: type[BaseModel], name: str) -> int | None:
    """The field's max_length, on the field or inside its optional type's Annotated."""
    info = model.model_fields[name]
    metadata = list(info.metadata)
    for member in get_args(info.annotation):  # Text80 | None keeps it on Text80
        metadata += getattr(member, "__metadata__", ())
    for item in metadata:
        metadata += getattr(item, "metadata", ())  # pydantic's Field(...) inside Annotated
    limits = {item.max_length for item in metadata if isinstance(item, MaxLen)}
    assert len(limits) <= 1, limits
    return limits.pop() if limits else None


@pytest.mark.parametrize("kind", sorted(_MODELS))
def test_each_entry_model_has_the_specs_fields_in_order_and_limits(kind: str) -> None:
    model, spec = _MODELS[kind], fields.ENTRIES[kind]
    assert tuple(model.model_fields) == ("kind", *(item.name for item in spec))
    for item in spec:
        assert _model_max_length(model, item.name) == item.max_length, item.name
        assert model.model_fields[item.name].is_required() is not item.optional or (
            item.name == "disease"  # the model defaults it to COVID-19
        ), item.name


def test_the_holder_model_has_the_specs_fields_and_limits() -> None:
    spec_names = [item.name for item in fields.HOLDER]
    assert tuple(Holder.model_fields) == (
        "family_name",
        "given_name",
        "family_name_latin",
        "given_name_latin",
        "date_of_birth",
    )
    assert sorted(spec_names) == sorted(Holder.model_fields)
    for name in ("family_name", "given_name"):
        assert _model_max_length(Holder, name) == fields.max_length(fields.HOLDER, name)


@pytest.mark.parametrize("kind", sorted(_GROUPS))
def test_the_specs_dcc_keys_are_the_schemas_properties_in_order(kind: str) -> None:
    schema = _schema()
    entry = schema["$defs"][_GROUPS[kind]]
    spec = fields.ENTRIES[kind]
    assert [item.key for item in spec] == list(entry["properties"])
    assert [item.key for item in spec if not item.optional] == entry["required"]
    for item in spec:
        bound = _resolved(schema, entry["properties"][item.key]).get("maxLength")
        if bound is not None:  # the schema bounds texts; codes it bounds by their value sets
            assert item.max_length == bound, item.key


def test_the_specs_holder_keys_are_the_schemas() -> None:
    schema = _schema()
    names = schema["$defs"]["person_name"]["properties"]
    name_fields = [item for item in fields.HOLDER if item.key != "dob"]
    assert sorted(item.key for item in name_fields) == sorted(names)
    for item in name_fields:
        assert item.max_length == names[item.key]["maxLength"], item.key
    assert "dob" in schema["properties"]


def _consumer_limits() -> dict[str, object]:
    """Every limit a consumer holds on its own, by where it is held."""
    from healthcert.formats.eu_dcc import mapping
    from healthcert.formats.shc import card, fhir_common
    from healthcert.model import names
    from healthcert.service.records import HolderIn

    direct = {
        f"eu_dcc.mapping {group}.{spec[0]}": spec[4]
        for group, specs in mapping._DIRECT_SPECS.items()
        for spec in specs
        if spec[2] in (mapping._CODE, mapping._TEXT) and spec[4] != mapping._UNBOUNDED
    }
    return {
        **direct,
        "eu_dcc.mapping names": mapping._NAME_MAX,
        "model.names": names.MAX_LENGTH,
        "shc.fhir_common": fhir_common._MAX_TEXT,
        "shc.card issuer": card._MAX_ISSUER_TEXT,
        "service.records family_name": _model_max_length(HolderIn, "family_name"),
        "service.records given_name": _model_max_length(HolderIn, "given_name"),
    }


def test_every_consumer_takes_its_limit_from_the_spec() -> None:
    limits = _consumer_limits()
    assert len(limits) > 20  # the direct DCC mapping's fields are there, one by one
    assert {where: limit for where, limit in limits.items() if limit != fields.MAX_TEXT} == {}


def test_the_direct_dcc_mapping_takes_each_fields_own_limit() -> None:
    from healthcert.formats.eu_dcc import mapping

    for group, specs in mapping._DIRECT_SPECS.items():
        spec = fields.ENTRIES[mapping.KIND_OF_GROUP[group]]
        assert [(name, key, optional) for name, key, _, optional, _ in specs] == [
            (item.name, item.key, item.optional) for item in spec
        ]
        for (_, _, _, _, limit), item in zip(specs, spec, strict=True):
            assert limit == (mapping._UNBOUNDED if item.max_length is None else item.max_length)


def test_a_longer_name_is_refused_by_the_records_intake_as_by_the_model() -> None:
    from pydantic import ValidationError

    from healthcert.service.records import HolderIn

    name = "A" * (fields.max_length(fields.HOLDER, "family_name") + 1)
    with pytest.raises(ValidationError, match="at most 80 characters"):
        HolderIn.model_validate(
            {"document_number": "X1", "family_name": name, "date_of_birth": "1990-01-01"}
        )
    with pytest.raises(ValidationError, match="at most 80 characters"):
        Holder(family_name=name, family_name_latin="A")


def test_the_field_lookups() -> None:
    assert fields.field(fields.TEST, "centre") == fields.Field("centre", "tc", "text", 80, True)
    assert fields.max_length(fields.VACCINATION, "issuer") == fields.ISSUER_MAX == 80
    with pytest.raises(KeyError, match="nothing"):
        fields.field(fields.TEST, "nothing")
    with pytest.raises(ValueError, match="test_device has no maximum length"):
        fields.max_length(fields.TEST, "test_device")


_WITH_ANOTHER_LIMIT = """
import importlib.util, json, sys
import healthcert.model
assert "healthcert.model.fields" not in sys.modules
spec = importlib.util.find_spec("healthcert.model.fields")
source = spec.loader.get_source("healthcert.model.fields")
assert source.count("MAX_TEXT = 80\\n") == 1
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
source = source.replace("MAX_TEXT = 80\\n", "MAX_TEXT = 90\\n")
exec(compile(source, spec.origin, "exec"), module.__dict__)
from tests.model.test_fields import _consumer_limits
from healthcert.model.certificate import Holder
from healthcert.formats.eu_dcc.mapping import canonical_json
limits = _consumer_limits()
Holder(family_name="A" * 90, family_name_latin="A")
try:
    Holder(family_name="A" * 91, family_name_latin="A")
    refused = False
except ValueError:
    refused = True
dcc = {"ver": "1.3.0", "nam": {"fnt": "A"}, "dob": "1990", "v": [{"tg": "840539006",
    "vp": "J07BX03", "mp": "EU/1/20/1528", "ma": "ORG-100030215", "dn": 1, "sd": 2,
    "dt": "2021-06-01", "co": "AT", "is": "I" * 90, "ci": "URN:UVCI:01:AT:1"}]}
print(json.dumps({"limits": limits, "refused": refused,
                  "issuer": len(canonical_json(dcc)["entry"]["issuer"])}))
"""


def test_one_edit_of_the_spec_changes_every_consumer(tmp_path: Any) -> None:
    # The spec's source with another limit, loaded before anything imports it: every consumer
    # must follow, as the modules are imported afresh in another interpreter.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _WITH_ANOTHER_LIMIT],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {where: limit for where, limit in result["limits"].items() if limit != 90} == {}
    assert result["refused"] is True
    assert result["issuer"] == 90

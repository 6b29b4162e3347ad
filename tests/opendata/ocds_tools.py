"""The OCDS community's own tooling, offline: the official schema files vendored from registry packages
(opendata/ocds/schema/, docs/ocds.md says which), jsonschema for validation, ocdsmerge and ocdskit to compile."""

from __future__ import annotations

import json
from pathlib import Path

import ocdsmerge
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import opendata.ocds

SCHEMA_DIR = Path(opendata.ocds.__file__).parent / "schema"
RELEASE_SCHEMA = json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
PACKAGE_SCHEMA = json.loads((SCHEMA_DIR / "release-package-schema.json").read_text(encoding="utf-8"))
# The package schema (1.1.5) names its release schema by URL: that URL, and the release schema's own, resolve
# to the vendored release schema here, nothing is fetched.
_release = Resource.from_contents(RELEASE_SCHEMA, default_specification=DRAFT4)
_urls = {PACKAGE_SCHEMA["properties"]["releases"]["items"]["$ref"], RELEASE_SCHEMA["id"]}
REGISTRY = Registry().with_resources([(url, _release) for url in _urls])
RELEASE_VALIDATOR = Draft4Validator(RELEASE_SCHEMA, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER)
PACKAGE_VALIDATOR = Draft4Validator(PACKAGE_SCHEMA, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER)
MERGER = ocdsmerge.Merger(schema=RELEASE_SCHEMA)


def errors(validator: Draft4Validator, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def release_package_errors(package: dict) -> list[str]:
    return errors(PACKAGE_VALIDATOR, package)


def record_package_errors(package: dict) -> list[str]:
    """No registry package ships the plain record package schema: each record's releases and compiled release
    are validated against the release schema, and the package's own fields against the release package schema's
    (the two share them)."""
    found = []
    header = {k: v for k, v in package.items() if k != "records"}
    found += [e for e in errors(PACKAGE_VALIDATOR, {**header, "releases": [{}]}) if not e.startswith("releases")]
    for record in package["records"]:
        if set(record) - {"ocid", "releases", "compiledRelease", "versionedRelease"}:
            found.append(f"record fields: {sorted(record)}")
        for release in [*record["releases"], record["compiledRelease"]]:
            found += errors(RELEASE_VALIDATOR, release)
    return found

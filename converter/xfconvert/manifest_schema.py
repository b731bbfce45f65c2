"""
The bundle manifest (xfbench.json) checked against schemas/bundle-manifest.schema.json, the JSON
Schema xfbench publishes from the zod schema it reads manifests with. The converter checks what it is
about to write; the model zoo's tests check what it wrote: a manifest neither side can write wrongly.
"""
from __future__ import annotations

import json
import os

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas", "bundle-manifest.schema.json")


class ManifestError(Exception):
    """A manifest xfbench would refuse: where in it, and why."""


def check_manifest(manifest: dict) -> None:
    """Raises ManifestError naming the first place where the manifest breaks the published schema."""
    import jsonschema  # Debian's python3-jsonschema (scripts/install-debian-deps.sh)

    with open(SCHEMA_FILE, encoding="utf-8") as f:
        schema = json.load(f)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ManifestError(f"{where}: {first.message}")

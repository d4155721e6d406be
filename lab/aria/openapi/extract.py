"""Regenerate the published-description subset the Aria lab serves and validates against.

    python -m lab.aria.openapi.extract PATH/TO/vra-sdk-go

reads VMware's Swagger 2.0 files in `swagger/` of github.com/vmware/vra-sdk-go and writes, per
file, only the operations the lab serves (OPERATIONS) and the definitions they reach, with the
source commit named in `x-source`. Running it on a fresh checkout and diffing against the stored
files checks the lab's API description independently (docs/aria8-api.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# swagger file -> (path, method) pairs the lab serves.
OPERATIONS: dict[str, list[tuple[str, str]]] = {
    "vra-iaas.json": [
        ("/iaas/api/login", "post"),
        ("/iaas/api/projects", "get"),
        ("/iaas/api/projects", "post"),
        ("/iaas/api/projects/{id}", "get"),
        ("/iaas/api/projects/{id}", "patch"),
        ("/iaas/api/projects/{id}", "delete"),
        ("/iaas/api/regions", "get"),
        ("/iaas/api/image-profiles", "get"),
        ("/iaas/api/image-profiles", "post"),
        ("/iaas/api/image-profiles/{id}", "get"),
        ("/iaas/api/image-profiles/{id}", "patch"),
        ("/iaas/api/image-profiles/{id}", "delete"),
        ("/iaas/api/flavor-profiles", "get"),
        ("/iaas/api/flavor-profiles", "post"),
        ("/iaas/api/flavor-profiles/{id}", "get"),
        ("/iaas/api/flavor-profiles/{id}", "patch"),
        ("/iaas/api/flavor-profiles/{id}", "delete"),
    ],
    "vra-blueprint.json": [
        ("/blueprint/api/blueprints", "get"),
        ("/blueprint/api/blueprints", "post"),
        ("/blueprint/api/blueprints/{blueprintId}", "get"),
        ("/blueprint/api/blueprints/{blueprintId}", "put"),
        ("/blueprint/api/blueprints/{blueprintId}", "delete"),
        ("/blueprint/api/blueprints/{blueprintId}/versions", "get"),
        ("/blueprint/api/blueprints/{blueprintId}/versions", "post"),
        ("/blueprint/api/blueprints/{blueprintId}/versions/{version}", "get"),
        ("/blueprint/api/blueprints/{blueprintId}/versions/{version}/actions/release", "post"),
        ("/blueprint/api/blueprints/{blueprintId}/versions/{version}/actions/unrelease", "post"),
    ],
    "vra-catalog-deployment.json": [
        ("/catalog/api/admin/sources", "get"),
        ("/catalog/api/admin/sources", "post"),
        ("/catalog/api/admin/sources/{sourceId}", "get"),
        ("/catalog/api/admin/sources/{sourceId}", "delete"),
        ("/catalog/api/admin/items", "get"),
        ("/catalog/api/items", "get"),
        ("/catalog/api/items/{id}", "get"),
        ("/policy/api/policies", "get"),
        ("/policy/api/policies", "post"),
        ("/policy/api/policies/{id}", "get"),
        ("/policy/api/policies/{id}", "delete"),
    ],
}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.split("/")[-1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def subset(document: dict[str, Any], operations: list[tuple[str, str]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, method in operations:
        paths.setdefault(path, {})[method] = document["paths"][path][method]
    wanted: set[str] = set()
    _refs(paths, wanted)
    definitions = document.get("definitions", {})
    done: set[str] = set()
    while wanted - done:
        name = (wanted - done).pop()
        done.add(name)
        _refs(definitions[name], wanted)
    return {
        "swagger": document["swagger"],
        "info": {"title": document["info"].get("title"), "version": document["info"]["version"]},
        "paths": paths,
        "definitions": {name: definitions[name] for name in sorted(done)},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(argv[0])
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    for name, operations in OPERATIONS.items():
        document = json.loads((checkout / "swagger" / name).read_text())
        out = subset(document, operations)
        out["x-source"] = f"github.com/vmware/vra-sdk-go/blob/{commit or 'HEAD'}/swagger/{name}"
        (HERE / name).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Writes the JSON Schema of cert-manager's Certificate (cert-manager.io/v1) the manifests use.

kubernetes-validate knows only built-in kinds. The schema is the openAPIV3Schema of the CRD that
cert-manager ships (deploy/crds/cert-manager.io_certificates.yaml in its repository); every object
schema with properties is closed (additionalProperties: false) so a misspelt field fails, as
kubernetes-validate --strict does for built-in kinds.

    python3 generate-cert-manager-schema.py path/to/cert-manager.io_certificates.yaml
"""
import json
import pathlib
import sys

import yaml


def close(node):
    if isinstance(node, dict):
        node.pop("description", None)
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            close(value)
    elif isinstance(node, list):
        for value in node:
            close(value)
    return node


crd = yaml.safe_load(open(sys.argv[1]))
version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
schema = close(version["schema"]["openAPIV3Schema"])
schema["properties"]["apiVersion"] = {"const": "cert-manager.io/v1"}
schema["properties"]["kind"] = {"const": "Certificate"}
schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
out = pathlib.Path(__file__).parent / "crd-schemas" / "certificate-cert-manager-v1.json"
out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
print(out)

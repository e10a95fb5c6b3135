#!/usr/bin/env python3
"""Writes JSON Schemas for the monitoring.coreos.com/v1 kinds the manifests use.

kubernetes-validate knows only built-in kinds. These schemas come from the Prometheus Operator
models in the PyPI package cloudcoil-models-prometheus-operator (generated from the operator's
CRDs); every object schema is closed (additionalProperties: false) so a misspelt field fails, as
kubernetes-validate --strict does for built-in kinds.

    pip install cloudcoil-models-prometheus-operator==0.80.1.0
    python3 generate-crd-schemas.py
"""
import json
import pathlib

from cloudcoil.models.prometheus_operator import v1


def close(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            close(value)
    elif isinstance(node, list):
        for value in node:
            close(value)
    return node


out = pathlib.Path(__file__).parent / "crd-schemas"
out.mkdir(exist_ok=True)
for kind in (v1.ServiceMonitor, v1.PrometheusRule):
    schema = close(kind.model_json_schema(by_alias=True))
    schema["properties"]["apiVersion"] = {"const": "monitoring.coreos.com/v1"}
    schema["properties"]["kind"] = {"const": kind.__name__}
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    path = out / f"{kind.__name__.lower()}-monitoring-v1.json"
    path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    print(path)

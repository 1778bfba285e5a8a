#!/usr/bin/python3
"""Parses an OpenMetrics exposition (the file named by argv[1]) with the Prometheus project's own Python
parser (python3-prometheus-client), which rejects malformed text, and prints every
sample as JSON: [{"name", "labels", "value"}, ...]."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

samples = []
with open(sys.argv[1], encoding="utf-8") as exposition:
    text = exposition.read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
print(json.dumps(samples))

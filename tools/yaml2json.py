"""Build step: converts docs/openapi.yaml (the one source of truth) into the JSON that the
binary embeds and serves at /api/v1/openapi.json. Uses Debian's python3-yaml."""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.safe_load(f)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))

"""Checks every Partners Hub request recorded during a test run against an OpenAPI document.

    python -m tests.check_vendor_requests DOCUMENT RECORDED.jsonl

RECORDED.jsonl is what the stand-in appends when `PARTNERS_HUB_RECORD` names it: one JSON object per
request, `{method, path, query: [[name, value], ...], json}`. Exit 0 when at least one request was
recorded and every one matches the document's request schemas; 1 otherwise, with one line per
broken request. `.ci/run` runs it against ../shared/providers/activecampaign/partners-api.json.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from tests.standins.openapi_check import RequestChecker


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    document, recorded = Path(argv[0]), Path(argv[1])
    checker = RequestChecker(document)
    lines = recorded.read_text(encoding="utf-8").splitlines() if recorded.is_file() else []
    if not lines:
        print(f"no vendor request was recorded in {recorded}", file=sys.stderr)
        return 1
    bad = 0
    calls: Counter[str] = Counter()
    for number, line in enumerate(lines, 1):
        request = json.loads(line)
        body = request.get("json")
        raw = json.dumps(body).encode() if body is not None else None
        query = [(str(k), str(v)) for k, v in request.get("query") or []]
        problems = checker.check(request["method"], request["path"], query, raw)
        calls[f"{request['method']} {request['path']}"] += 1
        for problem in problems:
            bad += 1
            print(
                f"{recorded}:{number}: {request['method']} {request['path']}: {problem.field or '-'}: {problem.message}"
            )
    summary = ", ".join(f"{call} ×{count}" for call, count in sorted(calls.items()))
    print(f"{len(lines)} vendor requests checked against {document.name}: {bad} problems ({summary})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

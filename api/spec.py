"""Generate the OpenAPI document: ``python -m api.spec`` writes api/openapi.json (committed; a test diffs it)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

SPEC_PATH = Path(__file__).with_name("openapi.json")


def generate() -> dict[str, object]:
    from api.app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "spec"}, session_factory=lambda: Session())
    with app.test_request_context():
        spec: dict[str, object] = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return spec


def _number(o: object) -> object:
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(type(o).__name__)


def render(spec: dict[str, object]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True, default=_number) + "\n"


def main() -> int:
    text = render(generate())
    if "--check" in sys.argv:
        if not SPEC_PATH.exists() or SPEC_PATH.read_text(encoding="utf-8") != text:
            print("api/openapi.json is out of date: run `python -m api.spec`", file=sys.stderr)
            return 1
        return 0
    SPEC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

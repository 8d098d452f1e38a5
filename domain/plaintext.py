"""Text the database can hold. PostgreSQL's `text` cannot contain NUL (0x00) and neither database can
encode a lone UTF-16 surrogate (`\\ud800`, which a JSON payload can carry), so such text must be
refused where it arrives, before it reaches any query (a look-up by name fails as surely as a write).
"""

from __future__ import annotations

import json
import re

from domain.i18n import N_

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_REFUSED = N_(
    "That text contains a character that cannot be saved (a NUL byte or a broken Unicode "
    "character), so nothing was done. Type it again without it."
)


def holds_unstorable(value: object) -> bool:
    """Whether any string in `value` (nested lists and objects, and JSON kept inside a string such as
    a modal's metadata or a button's value) has a character the database cannot store."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            return True
        if value[:1] in ("{", "["):
            try:
                return holds_unstorable(json.loads(value))
            except ValueError:
                return False
        return False
    if isinstance(value, dict):
        return any(holds_unstorable(k) or holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_unstorable(item) for item in value)
    return False

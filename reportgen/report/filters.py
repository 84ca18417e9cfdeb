"""The formatting the templates may do: a few registered Jinja filters (`FILTERS`), also used
by the command line and the diff so a number reads the same everywhere."""

from __future__ import annotations

import math


def fmt_number(value, digits: int = 4) -> str:
    """Numbers as people read them: grouped integers, fixed decimals, lists element-wise."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        digits = _telling_apart(value, digits)
        return "[" + ", ".join(fmt_number(v, digits) for v in value) + "]"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.{digits}e}"
        if abs(value) >= 1000:
            return f"{value:,.{min(digits, 2)}f}".replace(",", "\u202f")
        return f"{value:.{digits}f}"
    return str(value)


def _telling_apart(values: list, digits: int, most: int = 8) -> int:
    """The fewest decimals from `digits` on that keep a list's different floats different
    (0.95035 and 0.9604 both read 0.9604 at four): two folds that differ must not look equal."""
    floats = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    while digits < most and len({round(v, digits) for v in floats}) < len(set(floats)):
        digits += 1
    return digits


def fmt_printed(value) -> str:
    """A value as Python prints it (shortest repr), like the chapter's printed outputs."""
    if isinstance(value, list):
        return "[" + ", ".join(fmt_printed(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value)
    return repr(value)


def fmt_p_value(value, smallest: float | None = None) -> str:
    """A p-value as a reader takes it in: three decimals down to 0.001, then "< 0.001" for
    everything smaller, except tiny ones, given to one significant digit ("2e-12"), and
    "< 1e-200" past what any test here resolves; "≤ x" where a permutation test's smallest
    possible p-value was reached."""
    if value is None:
        return "—"
    if smallest is not None and value <= smallest:
        return f"≤ {smallest:.2g}"
    if value >= 0.001:
        return f"{value:.3f}"
    if value < 1e-200:
        return "< 1e-200"
    if value >= 1e-4:
        return "< 0.001"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e-{int(exponent[1:])}"


def fmt_percent(value, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f} %"


def fmt_seconds(value) -> str:
    if value is None:
        return "—"
    if value < 0.01:
        return "< 0.01 s"
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def fmt_signed(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + fmt_number(float(value), digits)


def fmt_ratio(value) -> str:
    """×0.37; a ratio below 0.01 keeps two significant digits (×0.00013), not ×0.00."""
    if value is None:
        return "—"
    return f"×{value:.2g}" if 0 < value < 0.01 else f"×{value:.2f}"


def fmt_bytes(value) -> str:
    """Memory as people read it: 1.87 GiB, 512 MiB; "—" where it was not measured."""
    if value is None:
        return "—"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.2f} {unit}" if unit == "GiB" else f"{value / size:.0f} {unit}"
    return f"{value} B"


def fmt_brief(value, digits: int = 4) -> str:
    """A metric in one table cell: a matrix by its shape, a long list by its length, anything
    else as `num` shows it."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        return f"{len(value)}×{len(value[0])} matrix"
    if isinstance(value, list) and len(value) > BRIEF_LIST:
        return f"{len(value)} values"
    return fmt_number(value, digits)


BRIEF_LIST = 4  # per-fold lists (3 values) fit a cell; per-class scores (10) do not


def _spread_decimals(std: float, digits: int) -> int:
    """Decimals that show a spread with two significant digits of its std (0.998330 ±
    0.000036, not 0.9983 ± 3.6016e-05; 3 370 ± 41), never fewer than `digits` below 1."""
    if std <= 0 or not math.isfinite(std):
        return digits
    decimals = min(max(1 - math.floor(math.log10(std)), 0), 10)
    return max(decimals, digits) if std < 1 else decimals


def fmt_spread(spread: dict | None, digits: int = 4) -> str:
    """A metric's repeats in one cell: "0.9962 ± 0.0011" (mean ± std, the mean to the std's
    decimals); "± 0" where every repeat gave the same value; "—" without repeats."""
    if not spread or not isinstance(spread.get("std"), float):
        return "—"
    decimals = _spread_decimals(spread["std"], digits)
    std = fmt_number(spread["std"], decimals) if spread["std"] else "0"
    return f"{fmt_number(spread['mean'], decimals)} ± {std}"


def fmt_interval(spread: dict | None, digits: int = 4) -> str:
    """A metric's 95 % interval, "low … high", to the decimals its spread is shown with."""
    if not spread or not isinstance(spread.get("ci_low"), float):
        return "—"
    decimals = _spread_decimals(spread["std"], digits)
    return f"{fmt_number(spread['ci_low'], decimals)} … {fmt_number(spread['ci_high'], decimals)}"


def fmt_bounds(interval: dict | None, digits: int = 4, signed: bool = False) -> str:
    """An interval from a test sample, "low … high" ({"low", "high"}: reportgen.statistics);
    `signed` for a difference ("−0.0012 … +0.0034"); "—" without one."""
    if not interval or interval.get("low") is None:
        return "—"
    number = fmt_signed if signed else fmt_number
    return f"{number(interval['low'], digits)} … {number(interval['high'], digits)}"


def fmt_status(status) -> str:
    """A threshold's status in any release's form: PASS, FAIL, WARN, MISSING; True/False from
    versions made before severities; None: not checked."""
    if status is None:
        return "not checked"
    if isinstance(status, bool):
        return "PASS" if status else "FAIL"
    return str(status)


FILTERS = {"num": fmt_number, "pct": fmt_percent, "secs": fmt_seconds, "signed": fmt_signed,
           "ratio": fmt_ratio, "printed": fmt_printed, "brief": fmt_brief, "bytes": fmt_bytes,
           "spread": fmt_spread, "interval": fmt_interval, "bounds": fmt_bounds,
           "status": fmt_status, "p": fmt_p_value}

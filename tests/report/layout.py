"""Measuring a report's layout, not its markup (issue 27, "layout that holds").

Two measurers, each answering "what sticks out, where, and by how much":

- `pdf_overflows(html, base)`: WeasyPrint lays the HTML out as the PDF is laid out (A4, the
  print stylesheet); every box of every page (text, table, cell and its rules, image) is held to
  the right edge of the page's content box, the text block.
- `browser_overflows(html, width)`: Debian's Chromium, headless, lays the HTML out at a screen
  width; a script appended to a copy of the page lists the elements that pass the text column's
  right edge (and so the viewport's) and the scroll boxes that hide part of their content.

Each returns a list of `Overflow`s, the outermost element that sticks out with the largest
amount found inside it, so a failure names the table, not its hundred cells.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PX_PER_MM = 96 / 25.4  # WeasyPrint's and the browser's CSS pixel
TOLERANCE_PX = 0.5 / 0.75  # half a point: rounding, a glyph's side bearing

CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Overflow:
    where: str  # "p. 22" or "390 px"
    element: str  # tag.class "text…"
    by_mm: float  # how far past the edge (CSS px converted to mm; 1 px = 0.2646 mm)
    worst: str = ""  # the innermost element that sticks out furthest
    kind: str = "past the edge"  # or "hidden in a scroll box"

    def __str__(self) -> str:
        worst = f" (furthest: {self.worst})" if self.worst and self.worst != self.element else ""
        if "{mm}" in self.kind:
            return f"{self.where}: {self.element} {self.kind.format(mm=f'{self.by_mm:.1f}')}"
        if self.kind.startswith("breaks"):
            return f"{self.where}: {self.element} {self.kind}"
        return f"{self.where}: {self.element} {self.kind} by {self.by_mm:.1f} mm{worst}"


def _describe(element, text: str | None = None) -> str:
    if element is None:
        return "(anonymous)"
    tag = element.tag if isinstance(element.tag, str) else "?"
    tag = tag.rsplit("}", 1)[-1]
    classes = ".".join((element.get("class") or "").split())
    if text is None:
        text = " ".join("".join(element.itertext()).split())
    text = text if len(text) <= 40 else text[:39] + "…"
    return f"{tag}{'.' + classes if classes else ''} \"{text}\""


# -- print: WeasyPrint's boxes --------------------------------------------------------------

def render_document(html: str, base: Path | str):
    """WeasyPrint's laid-out document of `html` (slow for a long report: render it once)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(Path(base).resolve()) + "/").render()


def pdf_overflows(document) -> list[Overflow]:
    """Every element whose box passes the right edge of its page's text block, in a laid-out
    WeasyPrint document (`render_document`); the page margins' boxes (running heads) are the
    page's own and are not held to it."""
    from weasyprint.formatting_structure import boxes

    found: dict[tuple[int, int], list] = {}  # (page, id(outermost element)) -> [mm, desc, worst]
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        edge = page_box.content_box_x() + page_box.width
        roots = [child for child in page_box.children if not isinstance(child, boxes.MarginBox)]

        def walk(box, outermost, number=number, edge=edge):
            right = box.border_box_x() + box.border_width()
            if isinstance(box, boxes.TextBox):
                right = box.position_x + box.width  # the glyphs, not a line's trailing space
            past = right - edge
            element = box.element
            if past > TOLERANCE_PX and not _is_whitespace(box):
                if outermost is None:
                    outermost = element
                key = (number, id(outermost))
                worst = _describe(element, box.text if isinstance(box, boxes.TextBox) else None)
                entry = found.setdefault(key, [0.0, _describe(outermost), worst])
                if past > entry[0]:
                    entry[0], entry[2] = past, worst
            for child in getattr(box, "children", ()):
                if isinstance(child, boxes.Box):
                    walk(child, outermost, number, edge)

        for root in roots:
            walk(root, None)
    return [Overflow(f"p. {page}", desc, round(px / PX_PER_MM, 1), worst)
            for (page, _), (px, desc, worst) in sorted(found.items(), key=lambda kv: kv[0][0])]


HEADINGS = {"h1", "h2", "h3", "h4", "caption"}
STRANDED_PX = 3 * 15 * 4 / 3  # three lines of 10 pt text at line-height 1.5


def pdf_stranded_headings(document) -> list[Overflow]:
    """Headings (and table captions) left at the foot of a page: less than three lines of what
    follows them on their page, while the section they head goes on over the page."""
    from weasyprint.formatting_structure import boxes

    pages = []  # per page: the ids of the elements it shows, and its headings
    for number, page_box in enumerate((page._page_box for page in document.pages), start=1):
        shown: set[int] = set()
        headings = []  # [element, parent element, bottom, bottom of what follows]

        def walk(box, parent, shown=shown, headings=headings):
            element = box.element
            if element is not None:
                shown.add(id(element))
            bottom = box.position_y + box.margin_height()
            for entry in headings:  # a box after a heading, not inside it
                if entry[0] is not element and bottom > entry[3]:
                    entry[3] = bottom
            tag = box.element_tag if isinstance(box.element_tag, str) else ""
            if (tag in HEADINGS and isinstance(box, boxes.BlockContainerBox)
                    and not any(entry[0] is element for entry in headings)):
                headings.append([element, parent, bottom, bottom])
            for child in getattr(box, "children", ()):
                if isinstance(child, boxes.Box):
                    walk(child, element if child.element is not element else parent, shown,
                         headings)

        for root in page_box.children:
            if not isinstance(root, boxes.MarginBox):
                walk(root, None)
        pages.append((number, shown, headings))
    stranded = []
    for (number, _, headings), following in zip(pages, pages[1:], strict=False):
        for element, parent, bottom, after in headings:
            if parent is not None and id(parent) in following[1] and after - bottom < STRANDED_PX:
                stranded.append(Overflow(f"p. {number}", _describe(element),
                                         round((after - bottom) / PX_PER_MM, 1),
                                         kind="at the foot of its page, followed there by"
                                              " {mm} mm only"))
    return stranded


SPARSE = 0.4  # a page filled less than this far down, while what follows could have flowed


def pdf_sparse_pages(document) -> list[Overflow]:
    """Pages left mostly empty (their content ending less than SPARSE of the way down): by a
    block that could have flowed onto them (the next page starts neither a new part or
    section, an h1 after a forced break, nor a block that may not be split: a figure, an
    image, a table kept whole); or by a whole part or section too short for a page of its own
    (the page starts with its heading and the next with another's; the contents, a <nav>,
    has its page)."""
    from weasyprint.formatting_structure import boxes

    def content(page_box) -> list:
        return [root for root in page_box.children if not isinstance(root, boxes.MarginBox)]

    def bottom(box) -> float:
        """The lowest line, image or table row (a block's own box runs to the page's foot)."""
        shown = isinstance(box, boxes.LineBox | boxes.ReplacedBox | boxes.TableRowBox)
        lowest = box.position_y + box.margin_height() if shown else 0.0
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.Box) and not _is_whitespace(child):
                lowest = max(lowest, bottom(child))
        return lowest

    def first_shown(box, kept_whole=False, tags=()):
        """The first box with text or an image, whether it or a box around it may not be
        split (break-inside: avoid), and the tags of the elements around it."""
        kept_whole = kept_whole or box.style["break_inside"] in ("avoid", "avoid-page")
        tags = (*tags, box.element_tag) if isinstance(box.element_tag, str) else tags
        if isinstance(box, boxes.TextBox | boxes.ReplacedBox) and not _is_whitespace(box):
            return box, kept_whole, tags
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.Box):
                found = first_shown(child, kept_whole, tags)
                if found[0] is not None:
                    return found
        return None, False, ()

    def starts_anew(tags) -> bool:
        return any(tag in ("h1", "figure", "img") for tag in tags)

    sparse = []
    pages = [page._page_box for page in document.pages]
    for number, (page, following) in enumerate(zip(pages, pages[1:], strict=False), start=1):
        roots = content(page)
        if not roots:
            continue
        top = page.content_box_y()
        filled = (max(bottom(root) for root in roots) - top) / page.height
        if filled >= SPARSE:
            continue
        first, kept_whole, tags = next((found for root in content(following)
                                        if (found := first_shown(root))[0] is not None),
                                       (None, False, ()))
        own, _, own_tags = next((found for root in roots
                                 if (found := first_shown(root))[0] is not None),
                                (None, False, ()))
        if first is not None and not kept_whole and not starts_anew(tags):
            sparse.append(Overflow(f"p. {number}", _describe(first.element), filled * 100,
                                   kind="fills {mm} % of its page, though the next page goes"
                                        " on with what could have flowed onto it"))
        elif number > 1 and "h1" in own_tags and "h1" in tags and "nav" not in own_tags:
            sparse.append(Overflow(f"p. {number}", _describe(own.element), filled * 100,
                                   kind="fills {mm} % of its page alone: a part this short"
                                        " shares its page with what follows"))
    return sparse


def _is_whitespace(box) -> bool:
    from weasyprint.formatting_structure import boxes

    return isinstance(box, boxes.TextBox) and not box.text.strip()


# -- screen: Chromium ----------------------------------------------------------------------

# Appended to a copy of the page. After layout it measures against the text column (<main>'s
# content box, inside the viewport) and posts the list to the harness around it (an <iframe>
# of the width under test: headless Chromium will not make a window narrower than 500 px).
_PROBE = r"""
<script>
addEventListener("load", () => setTimeout(() => {  // layout is forced by the first measurement
  const root = document.documentElement;
  const column = document.querySelector("main") || document.body;
  const style = getComputedStyle(column);
  const edge = Math.min(root.clientWidth, column.getBoundingClientRect().right
                        - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth));
  const describe = (e) => {
    const cls = e.getAttribute("class");
    let text = (e.textContent || "").replace(/\s+/g, " ").trim();
    if (text.length > 40) text = text.slice(0, 39) + "…";
    const classes = cls ? "." + cls.trim().split(/\s+/).join(".") : "";
    return `${e.tagName.toLowerCase()}${classes} "${text}"`;
  };
  const found = [];
  const outer = new Map();
  for (const e of document.body.querySelectorAll("*")) {
    if (e.tagName === "SCRIPT") continue;
    const r = e.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    const past = r.right + window.scrollX - edge;
    if (past > 0.5) {
      let top = e;
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (outer.has(a)) { top = a; }
      }
      if (top === e) { outer.set(e, {element: describe(e), px: past, worst: describe(e)}); }
      else { const o = outer.get(top); if (past > o.px) { o.px = past; o.worst = describe(e); } }
    }
    const s = getComputedStyle(e);
    if (["auto", "scroll", "hidden", "clip"].includes(s.overflowX)
        && e.scrollWidth > e.clientWidth + 1) {
      found.push({element: describe(e), px: e.scrollWidth - e.clientWidth, worst: "",
                  kind: "hidden in a scroll box"});
    }
  }
  for (const o of outer.values()) found.push(o);
  // a number laid out over two lines ("0.837087 / 9772350"): each number in a table, measured
  // (a number standing alone, not a run of digits inside a code, an id or a word)
  const number =
    /(?<![\w.\-\u2212])[-+\u2212]?\d(?:[\d\u202f,.]*\d)?(?:e[-+\u2212]?\d+)?(?![\w])/gi;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    if (!node.parentElement.closest("table") || node.parentElement.closest("code")) continue;
    for (const m of node.data.matchAll(number)) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) {
        found.push({element: describe(node.parentElement), px: 0, worst: m[0],
                    kind: `breaks the number ${m[0]} over ${tops.size} lines`});
      }
    }
  }
  if (root.scrollWidth > root.clientWidth + 1)
    found.push({element: "the page", px: root.scrollWidth - root.clientWidth, worst: "",
                kind: "scrolls sideways"});
  const report = JSON.stringify({viewport: root.clientWidth, edge, found});
  if (parent !== window) parent.postMessage(report, "*");
  const out = document.createElement("pre");
  out.id = "layout-probe"; out.textContent = report; document.body.append(out);
}, 0));
</script>
"""

_HARNESS = """<!doctype html><html><head><meta charset="utf-8"></head>
<body style="margin:0">
<iframe src="{page}" style="border:0; width:{width}px; height:{height}px"></iframe>
<pre id="layout-result"></pre>
<script>addEventListener("message", (e) => {{
  document.getElementById("layout-result").textContent = e.data; }});</script>
</body></html>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)


def _chromium_run(args: list[str], url: str, timeout: float = 180) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--mute-audio", "--no-first-run", f"--user-data-dir={profile}", *args, url],
            capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def _harness(html: str, width: int, height: int, folder: Path, fragment: str = "") -> Path:
    page = folder / "page.html"
    page.write_text(html.replace("</body>", _PROBE + "</body>", 1) if "</body>" in html
                    else html + _PROBE, encoding="utf-8")
    harness = folder / f"harness-{width}.html"
    harness.write_text(_HARNESS.format(page=page.name + fragment, width=width, height=height),
                       encoding="utf-8")
    return harness


def browser_overflows(html: str, width: int, height: int = 900) -> list[Overflow]:
    """What sticks out of the text column, or hides in a scroll box, when Chromium lays `html`
    out in a viewport `width` CSS px wide."""
    with tempfile.TemporaryDirectory(prefix="layout-") as tmp:
        harness = _harness(html, width, height, Path(tmp))
        dom = _chromium_run([f"--window-size={max(width, 500) + 20},{height + 100}",
                             "--virtual-time-budget=20000",
                             "--run-all-compositor-stages-before-draw",
                             "--dump-dom"], harness.as_uri())
    match = re.search(r'<pre id="layout-result">(.*?)</pre>', dom, re.S)
    if not match or not match.group(1).strip():
        raise RuntimeError(f"the layout probe reported nothing at {width} px")
    import html as html_module

    report = json.loads(html_module.unescape(match.group(1)))
    if report["viewport"] != width:
        raise RuntimeError(f"the page was laid out {report['viewport']} px wide, not {width}")
    return [Overflow(f"{width} px", o["element"], round(o["px"] / PX_PER_MM, 1), o["worst"],
                     o.get("kind", "past the edge")) for o in report["found"]]


def screenshot(html: str, width: int, path: Path, fragment: str = "", height: int = 2400) -> None:
    """A PNG of the page at `width` px, from `fragment` (an id, "#thresholds") down `height` px."""
    with tempfile.TemporaryDirectory(prefix="layout-") as tmp:
        harness = _harness(html, width, height, Path(tmp), fragment)
        _chromium_run([f"--window-size={max(width, 500)},{height}", "--virtual-time-budget=20000",
                       f"--screenshot={Path(path).resolve()}"], harness.as_uri())

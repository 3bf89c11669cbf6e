"""The browser window's width, the panels' room and the page's theme, as the page follows them.

A `Viewport` widget, drawn at the top of the main area, reports the window's width (the
sidebar opens only in a wide window), its own width, the main area's, with its scrollbar's
(the panels take one column below `TWO_COLUMNS_PX`), and whether the page is dark (the
figures follow). A `ContentHeight` widget, drawn in a panel, reports the height the panel's
content takes, so that its cell can fit it (`rows_for`). The values are per page: Solara's
reactive variables are kept per browser session.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import anywidget
import solara
import traitlets

WIDE_WINDOW_PX = 1200
"""Narrowest window whose sidebar opens by itself: in a narrower one (a 1024-px laptop) the
sidebar (`frame.SIDEBAR_PX`) leaves the panels too little room, and its menu button opens it."""
TWO_COLUMNS_PX = 1010
"""Narrowest main area with two columns of panels (cells at least about 485 px wide); one below.
With the sidebar open (`frame.SIDEBAR_PX`) a 1440-px window has 1,096 px and a 1366-px one (the
commonest laptop screen) 1,022: two columns, the first chart beside the live interventions, in
sight on opening (at 1,050 the 1366-px window had one, its first chart below the fold). A
1280-px one has 936 and a 1024-px one with its sidebar closed 1,000: one column. The width is
measured without the main area's scrollbar, which a desktop browser draws (15-17 px, none in a
headless one): with it, 1366 px made 1,005 and the panels one column."""
GRID_MARGIN_PX = 10
"""Margin (px) around a cell of Solara's grid (vue-grid-layout's default)."""
ROW_PX = 30
"""Height (px) of a row of Solara's grid (its `row_height`): a cell of n rows is n rows and the
n - 1 margins between them high."""
CELL_ROWS = 10
"""Rows of the grid a panel's cell spans unless it says otherwise (Mesa's 10)."""
PLOT_MARGINS_PX = 80
"""A cell figure's left and right margins together (see `components.fit`)."""

window_width = solara.reactive(0)
"""The browser window's inner width (px); 0 until the page has reported it."""
main_width = solara.reactive(0)
"""The width (px) of the page's main area, right of an open sidebar; 0 until reported."""
scrollbar_width = solara.reactive(0)
"""The width (px) of the main area's scrollbar, beside `main_width` (0: none, or drawn over it)."""
dark = solara.reactive(False)
"""Whether the page is drawn in its dark theme. Read from the page itself: Solara's
`use_dark_effective` stays False when the theme is "auto" and the system's is dark."""

RENDER_JS = """
function render({ model, el }) {
  // Whether the page is dark: Vuetify marks its application with its theme. The element is
  // in the page only once laid out, so the application is looked up then.
  let application = null;
  const themes = new MutationObserver(theme);
  function theme() {
    model.set("dark", application.classList.contains("theme--dark"));
    model.save_changes();
  }
  // The main area's scrollbar's width (0 where scrollbars are drawn over the content).
  function scrollbar() {
    for (let box = el.parentElement; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowY;
      if (overflow === "auto" || overflow === "scroll") {
        const style = getComputedStyle(box);
        const borders = parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
        return Math.max(box.offsetWidth - box.clientWidth - borders, 0);
      }
    }
    return 0;
  }
  // Report the window's width, this element's (the main area's) and the main area's
  // scrollbar's whenever they change.
  function report() {
    const width = Math.round(el.getBoundingClientRect().width);
    if (width <= 0) return;  // not laid out yet (a hidden tab)
    model.set("scrollbar", Math.round(scrollbar()));
    model.set("window_width", window.innerWidth);
    model.set("width", width);
    model.save_changes();
    const found = el.closest(".v-application");
    if (found && found !== application) {
      application = found;
      themes.observe(application, { attributes: true, attributeFilter: ["class"] });
      theme();
    }
  }
  const observer = new ResizeObserver(report);  // reports once on observe, too
  observer.observe(el);
  window.addEventListener("resize", report);
  return () => {
    observer.disconnect();
    themes.disconnect();
    window.removeEventListener("resize", report);
  };
}
export default { render };
"""


class Viewport(anywidget.AnyWidget):
    """An empty, full-width element that reports the window's width and its own.

    Attributes:
        window_width: The window's inner width (px).
        width: The element's width (px): its container's.
        dark: Whether the page is in its dark theme.
        scrollbar: The width (px) of the main area's scrollbar (0 where the browser draws
            scrollbars over the content, as a headless one does).
    """

    _esm = RENDER_JS
    window_width = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    dark = traitlets.Bool(False).tag(sync=True)
    scrollbar = traitlets.Int(0).tag(sync=True)


@solara.component
def Measure() -> None:
    """Keep `window_width`, `main_width` and `dark` up to date with the browser."""
    Viewport.element(
        on_window_width=window_width.set,
        on_width=main_width.set,
        on_dark=dark.set,
        on_scrollbar=scrollbar_width.set,
    )


def is_wide() -> bool:
    """Whether the window is wide enough for the sidebar open beside the panels."""
    return window_width.value == 0 or window_width.value >= WIDE_WINDOW_PX


def use_wide_at_opening() -> bool:
    """Whether the window was wide when the page first measured it (a hook, for a render).

    The page is laid out for the window it opened in, and stays so when the window is
    resized: moved between the sidebar and the main area, the controller was built anew,
    forgot that the model was playing, and its old loop stepped on with no pause button.
    """
    return solara.use_memo(is_wide, [window_width.value > 0])


def columns() -> int:
    """Columns of panels the main area has room for (two until it has been measured).

    Its scrollbar counts as room: the columns do not depend on whether the browser draws one,
    nor flip as one comes and goes with the panels' height.
    """
    return 1 if 0 < main_width.value + scrollbar_width.value < TWO_COLUMNS_PX else 2


def plot_width() -> int:
    """The plotting area's width (px) of a figure in a cell of the grid, as laid out now."""
    if main_width.value == 0:
        return 0
    cell = main_width.value / columns() - 2 * GRID_MARGIN_PX
    return max(int(cell) - PLOT_MARGINS_PX, 200)


def rows_for(height: float) -> int:
    """The fewest rows of the grid whose cell is at least ``height`` px high."""
    return max(1, math.ceil((height + GRID_MARGIN_PX) / (ROW_PX + GRID_MARGIN_PX)))


CONTENT_JS = """
function render({ model, el }) {
  // The height the content of the scrolling box this element is in takes (its other parts,
  // with their margins, and the box's padding), whatever the box's own height (its cell's):
  // the content's, unscrolled, when it is taller than the box. This element takes no room
  // in the box (its part is not displayed): it would add the box's gap under the content.
  let box = null;
  let own = null;
  const sizes = new ResizeObserver(report);
  const parts = new MutationObserver(watch);
  function report() {
    if (!box.isConnected) return;
    const top = box.getBoundingClientRect().top - box.scrollTop;
    let bottom = top;
    for (const part of box.children) {
      if (part === own) continue;
      const edge = part.getBoundingClientRect();
      if (edge.height === 0) continue;
      bottom = Math.max(bottom, edge.bottom + parseFloat(getComputedStyle(part).marginBottom));
    }
    const height = Math.ceil(bottom - top + parseFloat(getComputedStyle(box).paddingBottom));
    if (bottom <= top || height === model.get("height")) return;  // not laid out, or as said
    model.set("height", height);
    model.save_changes();
  }
  function watch() {
    sizes.disconnect();
    sizes.observe(box);  // its width: the parts wrap anew
    for (const part of box.children) if (part !== own) sizes.observe(part);
  }
  // The element is in the page only once laid out: look for its box until then.
  let frame = requestAnimationFrame(function find() {
    box = el.closest(".autofin-scrolling");
    if (!box) {
      frame = requestAnimationFrame(find);
      return;
    }
    own = [...box.children].find((part) => part.contains(el));
    if (own) own.style.display = "none";
    parts.observe(box, { childList: true });
    watch();  // reports once on observe, too
  });
  return () => {
    cancelAnimationFrame(frame);
    sizes.disconnect();
    parts.disconnect();
  };
}
export default { render };
"""


class ContentHeight(anywidget.AnyWidget):
    """An element reporting the height of the content of the scrolling box it is in.

    The box is the nearest element of class ``autofin-scrolling`` (a panel that scrolls in its
    cell, `frame.PAGE_CSS`); the element takes no room in it.

    Attributes:
        height: The content's height (px), the box's padding under it included; 0 until laid out.
    """

    _esm = CONTENT_JS
    height = traitlets.Int(0).tag(sync=True)


@solara.component
def MeasureContent(on_height: Callable[[int], None]) -> None:
    """Report the height of the content of the scrolling panel it is in (`ContentHeight`)."""
    ContentHeight.element(on_height=on_height)

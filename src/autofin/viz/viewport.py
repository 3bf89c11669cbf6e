"""The browser window's width, the panels' room and the page's theme, as the page follows them.

A `Viewport` widget, drawn at the top of the main area, reports the window's width (the
sidebar opens only in a wide window), its own width, the main area's (the panels take one
column below `TWO_COLUMNS_PX`), and whether the page is dark (the figures follow). The
values are per page: Solara's reactive variables are kept per browser session.
"""

from __future__ import annotations

import anywidget
import solara
import traitlets

WIDE_WINDOW_PX = 1200
"""Narrowest window whose sidebar opens by itself: in a narrower one (a 1024-px laptop) the
sidebar (`frame.SIDEBAR_PX`) leaves the panels too little room, and its menu button opens it."""
TWO_COLUMNS_PX = 1050
"""Narrowest main area with two columns of panels (each at least about 500 px wide); one below.
A 1440-px window with its sidebar open has 1,096 px: two columns, the first chart beside the
live interventions; a 1024-px one with its sidebar closed has 1,000: one column."""
GRID_MARGIN_PX = 10
"""Margin (px) around a cell of Solara's grid (vue-grid-layout's default)."""
PLOT_MARGINS_PX = 80
"""A cell figure's left and right margins together (see `components.fit`)."""

window_width = solara.reactive(0)
"""The browser window's inner width (px); 0 until the page has reported it."""
main_width = solara.reactive(0)
"""The width (px) of the page's main area, right of an open sidebar; 0 until reported."""
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
  // Report the window's width and this element's (the main area's) whenever either changes.
  function report() {
    const width = Math.round(el.getBoundingClientRect().width);
    if (width <= 0) return;  // not laid out yet (a hidden tab)
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
    """

    _esm = RENDER_JS
    window_width = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    dark = traitlets.Bool(False).tag(sync=True)


@solara.component
def Measure() -> None:
    """Keep `window_width`, `main_width` and `dark` up to date with the browser."""
    Viewport.element(on_window_width=window_width.set, on_width=main_width.set, on_dark=dark.set)


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
    """Columns of panels the main area has room for (two until it has been measured)."""
    return 1 if 0 < main_width.value < TWO_COLUMNS_PX else 2


def plot_width() -> int:
    """The plotting area's width (px) of a figure in a cell of the grid, as laid out now."""
    if main_width.value == 0:
        return 0
    cell = main_width.value / columns() - 2 * GRID_MARGIN_PX
    return max(int(cell) - PLOT_MARGINS_PX, 200)

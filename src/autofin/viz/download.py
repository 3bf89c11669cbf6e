"""A button that saves a file the server builds when it is pressed.

Solara's `FileDownload` keeps the file's bytes in widget state and saves them when they
change: redrawn while a run plays, its state went from the last file to none while the next
was built, and the browser saved "null". Here a press is a message to the server, and the
file comes back as a message of its own: nothing is saved but what was built for that press.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

DOWNLOAD_JS = """
export default {
  render({ model, el }) {
    const button = document.createElement("button");
    button.className = "autofin-download";
    button.textContent = model.get("label");
    model.on("change:label", () => { button.textContent = model.get("label"); });
    button.addEventListener("click", () => model.send({ kind: "download" }));
    model.on("msg:custom", (message) => {
      if (message.kind !== "file") return;
      const url = URL.createObjectURL(new Blob([message.text], { type: message.mime }));
      const link = document.createElement("a");
      link.href = url;
      link.download = message.filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
    el.appendChild(button);
  },
};
"""

DOWNLOAD_CSS = """
.autofin-download {
  align-self: flex-start; margin-top: 4px; padding: 6px 8px; border-radius: 4px;
  color: #1976d2; font: 500 14px Roboto, sans-serif; letter-spacing: 0.09em;
  text-transform: uppercase; background: none; border: none; cursor: pointer;
}
.autofin-download:hover { background: rgba(25, 118, 210, 0.08); }
"""


class Download(anywidget.AnyWidget):
    """A button saving the text ``build()`` returns when pressed, as ``filename``.

    Attributes:
        label: The button's text.
        filename: The name the browser saves the file under.
        mime: The file's media type.
        build: Called on the server at each press; returns the file's text.
    """

    _esm = DOWNLOAD_JS
    _css = DOWNLOAD_CSS
    label = traitlets.Unicode("Download").tag(sync=True)
    filename = traitlets.Unicode("download.txt")
    mime = traitlets.Unicode("text/plain")
    build = traitlets.Any(None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_press)

    def _on_press(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        """Build the file and send it to the view that was pressed."""
        build: Callable[[], str] | None = self.build
        if content.get("kind") != "download" or build is None:
            return
        self.send({"kind": "file", "text": build(), "filename": self.filename, "mime": self.mime})

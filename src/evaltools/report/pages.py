"""HTML pages: an executed notebook rendered without code, written atomically."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from evaltools._io import atomic_write

# one exporter per thread: building it loads the templates, and a worker renders many pages
_EXPORTER = threading.local()


def export_html(nb: Any, path: str | os.PathLike, *, title: str) -> Path:
    """Render an executed notebook to HTML without input cells or prompts, atomically.

    Cells tagged ``remove_cell`` are dropped (notes meant for notebook readers only).
    ``title`` becomes the page title (escaped by the template: a unit name never becomes markup).

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Ringkasan")])
    >>> p = export_html(nb, pathlib.Path(tempfile.mkdtemp()) / "u.html", title="Unit <A>")
    >>> "Ringkasan" in p.read_text() and "<title>Unit &lt;A&gt;</title>" in p.read_text()
    True
    """
    import nbformat

    exporter = getattr(_EXPORTER, "exp", None)
    if exporter is None:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
        c.TagRemovePreprocessor.enabled = True
        exporter = HTMLExporter(config=c, exclude_input=True, exclude_input_prompt=True,
                                exclude_output_prompt=True)
        exporter.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
        _EXPORTER.exp = exporter
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    # the page title is the unit (the template prefers the notebook's own title and escapes it;
    # the end-to-end test checks that a unit name with markup stays inert)
    saved = nb.metadata.get("title")
    nb.metadata["title"] = title
    try:
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    finally:
        if saved is None:
            nb.metadata.pop("title", None)
        else:
            nb.metadata["title"] = saved
    return atomic_write(path, body)

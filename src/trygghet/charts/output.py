"""A chart out of the notebook: SVG with its alt text, byte-identical between runs."""

from __future__ import annotations

import base64
import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .draw import alt_text


def to_svg(fig: Figure) -> str:
    """The figure as SVG text, byte-identical between runs.

    No date in the metadata and (with the theme's ``svg.hashsalt``) fixed ids,
    so that two renders of a report give the same HTML.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue().decode("utf-8")


def show(obj: Axes | Figure, *, alt: str | None = None, caption: str | None = None) -> None:
    """Display a chart in a notebook as SVG with its alt text.

    The output carries the alt text in its metadata
    (``metadata["image/svg+xml"]["alt"]``) and as the ``text/plain`` fallback;
    the report template turns it into ``<img alt="…">``, and ``caption`` into a
    visible ``<figcaption>``. The figure is closed afterwards if pyplot knows it,
    so that the inline backend does not show it again without alt text.

    Parameters
    ----------
    obj
        An Axes returned by a chart function, or a whole Figure.
    alt
        Alt text; default :func:`alt_text` of ``obj``. A chart without any is
        an error: the report must not publish an image without alt text.
    caption
        Optional visible caption under the chart.
    """
    from IPython.display import display  # only needed inside a kernel

    fig = obj if isinstance(obj, Figure) else obj.get_figure(root=True)
    assert isinstance(fig, Figure)
    text = alt if alt is not None else alt_text(obj)
    if not text.strip():
        raise ValueError("the chart has no alt text: pass alt=… or use set_alt_text()")
    svg = to_svg(fig)
    meta = {"image/svg+xml": {"alt": text}}
    if caption:
        meta["trygghet"] = {"caption": caption}
    display({"image/svg+xml": svg, "text/plain": text}, raw=True, metadata=meta)
    _close(fig)


def _close(fig: Figure) -> None:
    manager = getattr(fig.canvas, "manager", None)
    if manager is not None:  # a pyplot figure: close it so the backend forgets it
        import matplotlib.pyplot as plt

        plt.close(fig)


def svg_data_uri(fig: Figure) -> str:
    """``data:image/svg+xml;base64,…`` of a figure, for hand-written HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(fig).encode()).decode()

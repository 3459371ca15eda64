"""Publishing: notebook → executed notebook → HTML → A4 PDF, all or nothing.

The route (measured in ``rendering.md``): papermill executes the report
notebook with its parameters; nbconvert turns the executed notebook into one
self-contained HTML page with trygghet's own template (no code, no prompts, no
scripts, nothing fetched from the network); WeasyPrint prints that page to a
tagged A4 PDF (PDF/UA-1) with a cover, a table of contents with page numbers,
a running header and "Sida N av M" in the footer.

One module per reason to change:

* :mod:`~trygghet.render.document` — *inside the notebook* (cheap imports
  only): :func:`document_info` declares the title, date, language and whether
  the data are synthetic. (:func:`trygghet.charts.show` displays a chart as
  SVG with its alt text in the output metadata.)
* :mod:`~trygghet.render.execute` — papermill and the kernel:
  :func:`execute_notebook`, :class:`NotebookError`.
* :mod:`~trygghet.render.html` — nbconvert with the template and the page's
  publishing rules (alt text, nothing remote): :func:`to_html`.
* :mod:`~trygghet.render.pdf` — WeasyPrint: :func:`to_pdf`.
* :mod:`~trygghet.render.signals` — SIGTERM as an interrupt, signals held
  while a set is published.
* :mod:`~trygghet.render.staging` — a run's files staged in hidden folders and
  published together (:class:`Publication`); what killed runs left behind is
  removed by the next run.
* :mod:`~trygghet.render.batch` — jobs: :func:`render_notebook` (one
  notebook to its files) and :func:`render_set` (a year's reports in worker
  processes, checked, then published together); :func:`worker_pool` keeps
  the workers for many sets (a police region's workspaces).
* :mod:`~trygghet.render.warm` — kernels forked from a warm zygote: a fresh
  kernel per report without its start-up.

Nothing here knows about survey data: what may not be published (free text,
small cells) is decided by the privacy and disclosure modules, and
:func:`render_set` only gives them the finished files to check.
"""

from __future__ import annotations

from .batch import (
    FORMATS,
    RenderJob,
    RenderResult,
    render_job,
    render_notebook,
    render_parallel,
    render_set,
    worker_pool,
)
from .document import DOCUMENT_MIME, document_info, source_date
from .execute import (
    DEFAULT_KERNEL,
    DEFAULT_TIMEOUT,
    NotebookError,
    execute_notebook,
    notebook_parameters,
)
from .html import to_html
from .pdf import to_pdf
from .signals import signals_deferred, sigterm_as_interrupt
from .staging import Publication, remove_abandoned, staging

__all__ = [
    "DOCUMENT_MIME", "FORMATS", "DEFAULT_KERNEL", "DEFAULT_TIMEOUT", "NotebookError",
    "Publication", "RenderJob", "RenderResult", "document_info", "execute_notebook",
    "notebook_parameters", "remove_abandoned", "render_job", "render_notebook",
    "render_parallel", "render_set", "signals_deferred", "sigterm_as_interrupt",
    "source_date", "staging", "to_html", "to_pdf", "worker_pool",
]

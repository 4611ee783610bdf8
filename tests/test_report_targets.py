"""`snakemake --report` renders every caption without docutils warnings.

Snakemake appends one hyperlink target per report category to every caption,
``.. _<category>: javascript:...``, and renders it with docutils. A target name
ends at its first colon, so categories "Paper A: relays" and "Paper A: PCA" both
define the target "Paper A" and each caption warned twice ("Duplicate explicit
target name"), 46 warnings in all. The test renders each caption the way
Snakemake does, with the workflow's real categories, and asserts no warning.
"""

from __future__ import annotations

import io
from pathlib import Path

from docutils.core import publish_parts

from workflow_runs import rule_outputs

def rst_links(categories) -> str:
    """The targets Snakemake (snakemake/report/__init__.py, ``rst_links``) appends to each caption."""
    lines = ["", ".. _Workflow: javascript:show_panel('workflow')", ".. _Statistics: javascript:show_panel('statistics')"]
    lines += [f".. _{c}: javascript:app.showCategory('{c}')" for c in sorted(categories)]
    return "\n".join(lines) + "\n"


def docutils_warnings(text: str) -> str:
    stream = io.StringIO()
    publish_parts(text, writer="html", settings_overrides={"warning_stream": stream, "report_level": 2})
    return stream.getvalue()


def test_captions_render_without_docutils_warnings(tmp_path):
    rows = [(cap, cat, sub) for _, _, cap, cat, sub in rule_outputs(tmp_path) if cap]
    categories = {cat for _, cat, _ in rows if cat}
    assert len(categories) >= 4, categories
    links = rst_links(categories)
    # the check itself: two categories sharing the text before a colon do warn
    assert "Duplicate explicit target name" in docutils_warnings(rst_links({"Paper A: x", "Paper A: y"}))
    for caption in sorted({cap for cap, _, _ in rows}):
        warnings = docutils_warnings(Path(caption).read_text() + links)
        assert warnings == "", f"{caption}:\n{warnings}"

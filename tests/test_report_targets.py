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
import subprocess
import sys
import textwrap
from pathlib import Path

from docutils.core import publish_parts

from workflow_runs import ROOT, env

LIST_CATEGORIES = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from snakemake.api import SnakemakeApi
    from snakemake.io import get_flag_value, is_flagged
    from snakemake.settings.types import (ConfigSettings, DeploymentSettings, OutputSettings,
                                          ResourceSettings, StorageSettings, WorkflowSettings)

    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(resource_settings=ResourceSettings(), config_settings=ConfigSettings(),
                          storage_settings=StorageSettings(), workflow_settings=WorkflowSettings(),
                          deployment_settings=DeploymentSettings(),
                          snakefile=Path(sys.argv[1]), workdir=Path(sys.argv[2]))
        for rule in wf._workflow.rules:
            for f in rule.output:
                if is_flagged(f, "report"):
                    r = get_flag_value(f, "report")
                    print("REPORT", r.caption or "", r.category or "", r.subcategory or "", sep="\\t")
    """
)


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
    proc = subprocess.run([sys.executable, "-c", LIST_CATEGORIES, str(ROOT / "Snakefile"), str(tmp_path)],
                          capture_output=True, text=True, env=env(), timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split("\t")[1:] for line in proc.stdout.splitlines() if line.startswith("REPORT\t")]
    categories = {cat for _, cat, _ in rows if cat}
    assert len(categories) >= 4, categories
    links = rst_links(categories)
    # the check itself: two categories sharing the text before a colon do warn
    assert "Duplicate explicit target name" in docutils_warnings(rst_links({"Paper A: x", "Paper A: y"}))
    for caption in sorted({cap for cap, _, _ in rows}):
        warnings = docutils_warnings(Path(caption).read_text() + links)
        assert warnings == "", f"{caption}:\n{warnings}"

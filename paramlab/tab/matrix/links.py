"""Opening a job's X/Y/Z matrix in place from another section (the Jobs list, an image's detail), like the
image links of :mod:`paramlab.tab.image_links`: no page load, so nothing typed elsewhere is lost."""

from __future__ import annotations

import html

MATRIX_JOB_ELEM_ID = "paramlab_matrix_job"
MATRIX_TAB_LABEL = "X/Y/Z matrix"
# Writes the job id into the matrix's "Job id" box (its input event draws the matrix), then brings the
# matrix section to the front. Called as OPEN_MATRIX_JS + "(<int>)" from an onclick attribute.
OPEN_MATRIX_JS = (
    "(function(id){"
    "var root=(typeof gradioApp==='function')?gradioApp():document;"
    "var pick=function(s){return root.querySelector(s)||document.querySelector(s);};"
    f"var box=pick('#{MATRIX_JOB_ELEM_ID} textarea, #{MATRIX_JOB_ELEM_ID} input');"
    "if(box){box.value=String(id);box.dispatchEvent(new Event('input',{bubbles:true}));}"
    "var tabs=root.querySelectorAll('#paramlab-tab > .tab-nav > button, #paramlab-tab > div > .tab-nav > button');"
    f"for(var i=0;i<tabs.length;i++){{if(tabs[i].textContent.trim()==='{MATRIX_TAB_LABEL}')"
    "{if(!tabs[i].classList.contains('selected')){tabs[i].click();}break;}}"
    "})"
)
OPEN_BUTTON_STYLE = "cursor:pointer;padding:1px 6px;"


def open_matrix_button(job_id: int, text: str = "Matrix") -> str:
    """A button that opens job ``job_id``'s matrix in place (and stops a table row's own click)."""
    onclick = html.escape(f"event.stopPropagation();{OPEN_MATRIX_JS}({int(job_id)});return false;", quote=True)
    return (f'<button type="button" class="paramlab-open-matrix" data-matrix-job="{int(job_id)}" '
            f'style="{OPEN_BUTTON_STYLE}" onclick="{onclick}">{html.escape(text)}</button>')



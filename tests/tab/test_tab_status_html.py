"""The one status line every ParamLab page writes: escaped text, a tone the page's style colours."""

from __future__ import annotations

from paramlab.tab.status_html import status_html


def test_the_text_is_escaped_and_the_tone_is_its_class() -> None:
    assert status_html("Saved <b>'x'</b> & more") == (
        "<p class='paramlab-ok'>Saved &lt;b&gt;&#x27;x&#x27;&lt;/b&gt; &amp; more</p>")
    assert status_html("no ledger", "error") == "<p class='paramlab-error'>no ledger</p>"


def test_a_marker_class_lets_a_check_find_the_line() -> None:
    assert status_html("the tab is not shown", "error", marker="paramlab-part-failed") == (
        "<p class='paramlab-error paramlab-part-failed'>the tab is not shown</p>")

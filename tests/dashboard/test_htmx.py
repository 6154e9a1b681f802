"""htmx answers: the partial for htmx, the page otherwise, and `Vary: HX-Request` on both, so a shared
cache never serves one for the other."""

from __future__ import annotations


def test_a_page_and_its_partial_both_vary_on_the_htmx_header(client, dash):
    page = client.get("/lever/attention")
    partial = client.get("/lever/attention", headers={"HX-Request": "true"})
    assert page.status_code == partial.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)
    assert "HX-Request" in page.vary and "HX-Request" in partial.vary

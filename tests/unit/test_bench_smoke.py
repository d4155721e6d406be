"""Keeps the benchmark code runnable: the cheapest figure on tiny inputs, and the request-log
bookkeeping the vRA call counts rest on. Benchmarks themselves assert nothing about time."""

from __future__ import annotations

import json
from pathlib import Path

from bench.minimal import MINIMAL, call_template, compare
from bench.plan_time import figures as plan_figures
from bench.report import Figure, markdown, write_json


def test_plan_figure_runs_on_tiny_stacks_and_is_stored(tmp_path: Path) -> None:
    figures = plan_figures(small=1, large=3, repeats=1, cli_repeats=0)
    assert [f.key for f in figures] == ["plan-in-process-ratio"]
    details = figures[0].details
    assert (details["smallHosts"], details["largeHosts"]) == (1, 3)
    assert details["smallParseSeconds"] > 0 and details["largePlanSeconds"] > 0
    results = tmp_path / "results.json"
    write_json(figures, results, measured="now")
    stored = json.loads(results.read_text())
    assert stored["measured"] == "now"
    assert [f["key"] for f in stored["figures"]] == ["plan-in-process-ratio"]


def test_log_entries_become_templates_and_are_compared_with_the_minimal_sequence() -> None:
    log = [
        {"method": "POST", "path": "/identity/api/tokens", "query": ""},
        {"method": "GET", "path": "/catalog-service/api/services/8f1c", "query": ""},
        {"method": "GET", "path": "/catalog-service/api/services",
         "query": "page=1&limit=100&$filter=name eq 'Machine Learning'"},
        {"method": "GET", "path": "/identity/api/tenants/vsphere.local/groups/ml@vsphere.local",
         "query": ""},
    ]
    assert [call_template(e) for e in log] == [
        "POST /identity/api/tokens",
        "GET /catalog-service/api/services/{id}",
        "GET /catalog-service/api/services?$filter",
        "GET /identity/api/tenants/{tenant}/groups/{ref}",
    ]
    result = compare("refresh", log)
    assert result["actual"] == 4 and result["minimal"] == len(MINIMAL["refresh"])
    assert result["extra"] == {"GET /catalog-service/api/services?$filter": 1,
                               "GET /identity/api/tenants/{tenant}/groups/{ref}": 1}
    assert "GET /catalog-service/api/services/{id}" not in result["missing"]


def test_markdown_table_names_date_machine_and_each_verdict() -> None:
    figures = [Figure(key="a", title="calls", value=21, unit="", command="x", target="16",
                      met=False),
               Figure(key="b", title="ratio", value=1.104, unit="x", command="y")]
    text = markdown(figures, measured="2026-11-30", on="2 cores")
    assert text.splitlines() == [
        "Measured 2026-11-30 on 2 cores (`python -m bench --markdown`):",
        "",
        "| figure | value | target | |",
        "| --- | --- | --- | --- |",
        "| calls | 21 | 16 | missed |",
        "| ratio | 1.1 x |  |  |",
    ]


def test_aria_log_entries_become_templates() -> None:
    from bench.aria_calls import MINIMAL as ARIA_MINIMAL
    from bench.aria_calls import call_template as aria_template

    log = [
        {"method": "GET", "path": "/iaas/api/projects/c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f"},
        {"method": "GET", "path": "/blueprint/api/blueprints/d179895b-3a2e-43db-93e4-d270e247ca54"
                                  "/versions/v-1152cbd2bd6a"},
    ]
    assert [aria_template(e) for e in log] == [
        "GET /iaas/api/projects/{id}", "GET /blueprint/api/blueprints/{id}/versions/{id}"]
    assert set(ARIA_MINIMAL) == {"create", "no-change", "refresh", "destroy"}

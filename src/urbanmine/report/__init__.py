"""The run's report: one self-contained offline HTML page (``report.html``) that lays out what
the pillars computed (docs/report.md). ``report_html(summary, network)`` returns the page,
``write_report(summary, network, path)`` writes it."""

from urbanmine.report.html import report_html, write_report

__all__ = ["report_html", "write_report"]

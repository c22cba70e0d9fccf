"""Early detection, early warning and the supervisors' hotspot picture (早发现、早介入、早报告).

- :mod:`~mediation.risk.rules` — indicator catalogue, scoring rules as versioned data, evaluation with an
  explanation (pure, no database);
- :mod:`~mediation.risk.signals` — signal intake, lineage to cases;
- :mod:`~mediation.risk.scoring` — per-enterprise scores, level changes, alerts;
- :mod:`~mediation.risk.alerts` — the escalation path and the early-warning report's data;
- :mod:`~mediation.risk.facts` — per-case facts and the deltas of their changes;
- :mod:`~mediation.risk.rollups`, :mod:`~mediation.risk.fold` — rollups and counters: keys, upserts, and the
  fold that adds the deltas to them;
- :mod:`~mediation.risk.hotspot_query` — the caller's scope, the query and the statement that answers it
  (a rollup or the per-case facts);
- :mod:`~mediation.risk.hotspots` — the supervisors' aggregates, drill-down, rankings, early intervention;
- :mod:`~mediation.risk.hotspot_export` — the hotspot table as CSV and XLSX;
- :mod:`~mediation.risk.simulate` — replay a candidate rule set over past data;
- :mod:`~mediation.risk.synthetic`, :mod:`~mediation.risk.bulk` — national-scale data and its import.
"""

"""The web app's pages (one module per page, run by ``st.navigation`` in ``app.py``) and their shared parts.

Page scripts: ``measure.py``, ``live.py``, ``compare.py``, ``drills.py``, ``history.py``, ``report.py``.
Shared parts: ``session.py`` (session state, settings, cached measuring), ``result_view.py`` (one side's
result), ``charts.py`` (Altair charts), ``sidebar.py``, ``warm_up.py`` (the server's background imports).
Computation lives in ``vision``; these hold widgets, layout and caching only.
"""

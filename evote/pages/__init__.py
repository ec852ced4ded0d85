"""Public pages and open data for citizens: pure functions from an election's public facts.

:mod:`evote.pages.view` builds the :class:`~evote.pages.view.ElectionView` the renderers take;
:mod:`evote.pages.opendata` writes the open-data publication (CSV, JSON, Data Package, DCAT-AP);
:mod:`evote.pages.html` renders the status, results and lookup pages (HTML strings, no web
framework: the service and ``evote results --format html`` call them).
"""

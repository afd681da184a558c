"""The participant profile for reporting to the funder (ESF), and the funder report.

Modules: ``definition`` (the configurable field list), ``crypto`` (values encrypted at
rest), ``tables``, ``profiles`` (reading, writing, consent for special categories),
``erasure`` (what erasure and export do with a profile), ``suppression`` (small counts),
``report`` (the period report as tables, CSV and XLSX), ``controllers`` and ``pages``.
"""

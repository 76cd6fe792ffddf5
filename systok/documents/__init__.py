"""Documents members and the public receive: PDF statements and reports.

``pdf`` is the shared kit (A4 page, the embedded Cyrillic fonts, charts as images);
each document has its own module that turns a schema into pages.
"""

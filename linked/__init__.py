"""Linked: an e-bulletin service.

Data flows one way (see DESIGN.md): edition files are loaded into an
:class:`~linked.edition.Edition`, composed into an email, and then either
delivered to confirmed subscribers or published as archive pages.
"""

__version__ = "0.1.0"

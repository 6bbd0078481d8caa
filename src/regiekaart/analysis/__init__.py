"""Questions about every case a card allows: situations, the commands that apply in
them, the search over them, and the obligations checked in each.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

"""The machinery of the projections, apart from the read models themselves:

- :mod:`~projections.runtime.projection`: what a read model declares;
- :mod:`~projections.runtime.discovery`: finding the read models;
- :mod:`~projections.runtime.projector`: events → one or more projection versions, exactly
  once (offsets compare-and-set);
- :mod:`~projections.runtime.registry`: versions built side by side, switched, dropped;
- :mod:`~projections.runtime.service`: ``csms projector`` and ``csms projections ...``.
"""

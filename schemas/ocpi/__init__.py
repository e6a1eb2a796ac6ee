"""OCPI 2.2.1 objects as the spec defines them (one module per OCPI module), shared by the API
(which serves and sends them) and the admin events that carry them."""

"""Billing's pure core: tariff checks, rating, CDRs. No I/O: the processor (running cost),
the billing projection (CDRs) and the API (tariff checks) share it, so a station is shown
the same price its bill states (docs/BILLING.md)."""

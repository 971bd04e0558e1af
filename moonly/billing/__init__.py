"""Payments: the Stripe catalog and customers (later subscriptions and invoices)."""

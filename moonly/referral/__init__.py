"""Referrals: invite links (`invites`) and the signup that records one (`signup`)."""

"""Users and organizations: who signed up, and with which referral code."""

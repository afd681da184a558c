"""Staff accounts, roles, API tokens, login sessions and the guards that use them."""

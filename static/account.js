// Account.

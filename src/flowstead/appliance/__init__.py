"""The appliance: the programs under supervisord, `flowstead up`, backups and restores."""

"""An organisation's Lever connection: the settings card, connect and disconnect, tokens and their
encryption, webhook set-up and signature keys."""

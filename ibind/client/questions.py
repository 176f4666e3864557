"""The precautionary questions IBKR asks about orders, and how answers are matched to them."""

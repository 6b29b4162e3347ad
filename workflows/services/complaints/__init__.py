"""Challenges (质疑) to a selection result and their complaints (投诉); complaints about an agency's service."""

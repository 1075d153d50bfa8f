"""What a run leaves on disk: atomic writers (:mod:`.files`) and pictures (:mod:`.plots`)."""

__all__ = ["files", "plots"]

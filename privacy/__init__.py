"""Personal data redacted at the edge, before complaints and transcripts reach Kafka or storage.

A pure library: no Kafka, HTTP, Redis or settings; callers pass the hash key.
"""

from privacy.detection import Detection, PiiKind
from privacy.pii_redaction import Finding, PiiRedactor, Redacted

__all__ = ["Detection", "Finding", "PiiKind", "PiiRedactor", "Redacted"]

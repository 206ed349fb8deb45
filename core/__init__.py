"""The image-quality engine: loading, measuring, scoring and optimizing product photos.

No UI code lives here; every public function takes and returns RGB ``uint8`` arrays or plain data.
"""

ENGINE_VERSION = "1.0.0"

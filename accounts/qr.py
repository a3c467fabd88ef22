"""QR codes for setting up an authenticator app, drawn on the server as SVG (no script, no style attributes)."""

from __future__ import annotations

import base64
import io

import segno


def qr_svg_data_uri(text: str) -> str:
    """``data:image/svg+xml;base64,…`` of a QR code holding ``text`` (for an ``<img src>``)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=4, xmldecl=False, svgns=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

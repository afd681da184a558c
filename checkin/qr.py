"""QR images of check-in codes, as SVG (small, sharp at any size) and PNG (for e-mail clients).

qrcode (and Pillow behind its PNG images) is imported on first use: most web processes
never draw a code, and the import costs several MB of resident memory in each of them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import qrcode


def _qr(data: str) -> qrcode.QRCode:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> bytes:
    import qrcode.image.svg

    image = _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode()


def qr_png(data: str, box_size: int = 8) -> bytes:
    code = _qr(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_version(data: str) -> int:
    return int(_qr(data).version)
